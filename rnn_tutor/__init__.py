"""rnn-tutor: a command-line tutor and calculator for recurrent neural networks."""

__version__ = "0.1.0"
