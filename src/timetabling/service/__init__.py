"""The engine service (layer 2): FastAPI over the engine, with a runner and a progress bus behind small
interfaces so the embedded default and the distributed deployment run the same flow."""
