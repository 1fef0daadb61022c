"""Flashcards with spaced repetition: cards and decks, numeric cards, FSRS scheduling, the SQLite
progress store, sessions, stats, export and import. Standard library + fsrs only (no typer/rich).

Modules: ``cards`` (deck format), ``numeric`` (generated cards), ``schedule`` (fsrs wrapper),
``store`` (SQLite), ``session`` (what to study, recording answers), ``stats``, ``transfer``
(export/import), ``paths`` (data directory), ``keys`` (reading single keys or lines).
"""
