"""The run layer: the only code that knows engines. It loads images, chooses an engine
(the registry), batches, and splits and gathers runs across torch.distributed ranks."""
