"""Built-in executors: where files run (``engine.executor``)."""
