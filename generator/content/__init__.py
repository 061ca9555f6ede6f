"""What partners write: the course format, reading and checking files, the catalogue they make."""
