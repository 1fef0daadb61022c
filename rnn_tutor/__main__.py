"""``python -m rnn_tutor`` does what the ``rnn-tutor`` command does."""

from rnn_tutor.cli import main

if __name__ == "__main__":
    main(prog_name="rnn-tutor")
