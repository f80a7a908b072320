"""Built-in plugins: forgetting mitigation that composes with any strategy (``--plugin ema --plugin replay``).

Registered exactly as a third-party package would register its own (entry-point group
``lifelong_pose.plugins``). Entry points are strings: nothing here imports torch.
"""

from __future__ import annotations

from lifelong_pose.registry import plugin_registry

plugin_registry.register(
    "ema-v0",
    "lifelong_pose.strategies.plugins.ema:EMAPlugin",
    description="exponential moving average of the lifter while adapting (eta 0.99); each domain ends with the average",
)
plugin_registry.register(
    "replay-v0",
    "lifelong_pose.strategies.plugins.replay:ReplayPlugin",
    description="bounded memory of earlier domains' 2D poses, mixed into every adaptation batch",
)
plugin_registry.register(
    "ewc-v0",
    "lifelong_pose.strategies.plugins.ewc:EWCPlugin",
    description="online EWC: parameter importance from the strategy's own loss at the end of each domain",
)
plugin_registry.register(
    "distill-v0",
    "lifelong_pose.strategies.plugins.distill:DistillPlugin",
    description="distillation: the lifter before the domain predicts the current 2D poses as a soft target",
)
