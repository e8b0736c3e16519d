"""The Hawkes-process log-likelihood operator."""
