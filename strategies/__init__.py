"""The built-in strategies, registered exactly as a third-party plugin would register its own.

Shipped as ``lifelong_pose.strategies`` (setuptools ``package-dir``); none is registered yet:
the baselines and the papers' methods arrive with the training engine.
"""
