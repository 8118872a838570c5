// Placeholder replaced by the disassembler implementation.
