"""Pieces two built-in methods share, kept out of the engine: PoseDA's pose-augmentation generator
(diffusion_replay's generators are the same network with a translation stage), its options, and
the labelled source pool a method keeps while it adapts. A third-party method may import them as
these two do."""
