"""What a long-running process made at start-up lives as long as the process: the imported
modules, aiogram's ~450 pydantic models with their validators, SQLAlchemy's mappers, the
catalogs. Python's collector would still walk all of it at every full (oldest-generation)
collection — in the bench, one every 15–25 s under load, each a pause of 0.6–1.2 s on a busy
two-core machine, which is what an update caught behind it waits (BENCHMARKS.md). Freezing
it once start-up is over moves it out of the collector's reach (`gc.freeze`); what the process
makes later is collected as before."""

import gc


def freeze_the_long_lived() -> int:
    """Collect what start-up left as garbage, then freeze everything still alive. Returns
    how many objects are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
