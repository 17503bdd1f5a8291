"""The question bank: its data files (`bank/`), model, seed importers, validation and loading."""
