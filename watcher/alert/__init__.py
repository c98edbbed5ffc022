"""Alert stage: turns stored shifts into messages and sends them through channels."""
