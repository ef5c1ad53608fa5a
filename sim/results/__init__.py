"""Results: reading stored runs, paired differences and bands (once), figures (once), and the
HTML pages of batches and calibrations; used by the CLI report, the browser and the experiments."""
