"""What bench/measure.py and bench/render.py share: result kinds and statistics."""
import os
import statistics

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = "/usr/bin/python3 bench/run.py"

CLASSIFICATION = "classification"
DETECTION = "detection"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    """(max - min) / median of the repetitions."""
    values = [v for v in values if v is not None]
    if len(values) < 2 or not statistics.median(values):
        return 0.0
    return (max(values) - min(values)) / statistics.median(values)
