"""Pure computation: numpy and the standard library only.

Nothing in this package prints, reads files (except explicit load/save functions),
or imports typer or rich. Errors are raised as rnn_tutor.errors exceptions whose
text is written for the user.
"""
