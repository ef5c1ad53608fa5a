"""Running firms: scenario files, one run and paired replications, batches with their resumable
store, process pools and Dask clusters."""
