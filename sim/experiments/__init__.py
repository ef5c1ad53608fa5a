"""Experiments: experiment files, calibration to published figures, sensitivity analysis."""
