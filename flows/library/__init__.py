"""The exercise library, program templates and what clients see of their program."""
