"""The 2D-pose diffusion sampler: it learns a toy distribution, keeps an earlier domain, and costs one call per step."""

from __future__ import annotations

import pytest
import torch
from lifelong_pose.strategies.diffusion_replay.pose_diffusion import PoseDiffusion, ddim_timesteps, linear_betas

JOINTS = 4
TEMPLATE = torch.tensor([[0.0, 0.0], [0.0, -0.2], [0.1, 0.2], [-0.1, 0.2]])


def _domain(root_x: float, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """Poses of one template, its root spread around (root_x, 0) with sd 0.1, joints jittered by 0.02."""
    g = torch.Generator().manual_seed(seed)
    root = torch.tensor([root_x, 0.0]) + 0.1 * torch.randn(n, 1, 2, generator=g)
    return TEMPLATE + root + 0.02 * torch.randn(n, JOINTS, 2, generator=g)


def _learned(*domains: torch.Tensor, steps: int = 1500) -> PoseDiffusion:
    torch.manual_seed(0)
    model = PoseDiffusion(JOINTS, diffusion_steps=100, width=64, blocks=2)
    g = torch.Generator().manual_seed(1)
    for data in domains:
        model.learn(data, steps=steps, batch_size=128, lr=3e-3, replay_steps=20, generator=g)
    return model


def _mad(x: torch.Tensor) -> torch.Tensor:
    return (x - x.median(dim=0).values).abs().median(dim=0).values


def test_samples_match_the_training_distributions_simple_statistics() -> None:
    data = _domain(-0.5)
    model = _learned(data)
    samples = model.sample(2000, steps=20, generator=torch.Generator().manual_seed(2))
    assert samples.shape == (2000, JOINTS, 2)
    # where the root stands: median within 0.03 of the data's, spread within 35 % (robust statistics)
    assert torch.allclose(samples[:, 0].median(dim=0).values, data[:, 0].median(dim=0).values, atol=0.03)
    ratio = _mad(samples[:, 0]) / _mad(data[:, 0])
    assert torch.all((ratio - 1).abs() < 0.35), ratio
    # the pose's shape: every joint relative to the root within 0.03 of the template's
    shape = (samples - samples[:, :1]).median(dim=0).values
    assert torch.allclose(shape, TEMPLATE - TEMPLATE[:1], atol=0.03)


def test_after_a_second_domain_the_samples_still_cover_the_first() -> None:
    first, second = _domain(-0.5), _domain(0.5, seed=1)
    model = _learned(first, second)
    assert int(model.domains_learned) == 2
    samples = model.sample(2000, steps=20, generator=torch.Generator().manual_seed(3))
    from_first = samples[:, 0, 0] < 0
    assert 0.3 < float(from_first.float().mean()) < 0.7  # both domains, about equally
    kept = samples[from_first]
    assert kept[:, 0, 0].median().item() == pytest.approx(-0.5, abs=0.06)
    assert _mad(kept[:, 0, 0:1]).item() == pytest.approx(_mad(first[:, 0, 0:1]).item(), rel=0.5)


def test_missing_joints_do_not_pull_the_samples_to_zero() -> None:
    data = _domain(0.6)
    visible = torch.ones(len(data), JOINTS, dtype=torch.bool)
    visible[::2, 3] = False
    data[~visible] = 0.0  # stored as 0, as the observation model stores a joint it dropped
    model = PoseDiffusion(JOINTS, diffusion_steps=100, width=64, blocks=2)
    model.learn(data, visible, steps=1500, batch_size=128, lr=3e-3, generator=torch.Generator().manual_seed(1))
    samples = model.sample(1000, steps=20, generator=torch.Generator().manual_seed(2))
    expected = data[visible[:, 3], 3].median(dim=0).values
    assert torch.allclose(samples[:, 3].median(dim=0).values, expected, atol=0.04)


def test_fewer_steps_call_the_denoiser_fewer_times() -> None:
    model = _learned(_domain(0.0, n=200), steps=5)
    calls = []
    model.denoiser.register_forward_hook(lambda *_: calls.append(1))
    for steps in (1, 10, 100):
        calls.clear()
        model.sample(8, steps=steps)
        assert len(calls) == steps
    assert ddim_timesteps(400, 40).tolist()[:3] == [399, 389, 379] and ddim_timesteps(400, 40)[-1] == 0


def test_the_state_dict_carries_everything_it_knows() -> None:
    model = _learned(_domain(0.2, n=300), steps=50)
    copy = PoseDiffusion(JOINTS, diffusion_steps=100, width=64, blocks=2)
    copy.load_state_dict(model.state_dict())
    assert int(copy.domains_learned) == 1
    a = model.sample(5, steps=10, generator=torch.Generator().manual_seed(4))
    b = copy.sample(5, steps=10, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b)


def test_schedule_ends_as_noisy_at_any_length() -> None:
    for steps in (100, 400, 1000):
        alpha_bar = torch.cumprod(1 - linear_betas(steps), dim=0)
        assert 1e-6 < alpha_bar[-1] < 1e-3 and alpha_bar[0] > 0.99


def test_bad_inputs_are_clear_errors() -> None:
    model = PoseDiffusion(JOINTS, diffusion_steps=100, width=16, blocks=1)
    with pytest.raises(RuntimeError, match="learned no domain"):
        model.sample(2)
    with pytest.raises(ValueError, match=r"\(N, 4, 2\)"):
        model.learn(torch.zeros(10, 5, 2))
    with pytest.raises(ValueError, match="no observed joint"):
        model.learn(torch.zeros(10, JOINTS, 2), torch.zeros(10, JOINTS, dtype=torch.bool))
    with pytest.raises(ValueError, match="steps and batch_size"):
        model.learn(_domain(0.0, n=10), steps=0)
    model.learn(_domain(0.0, n=10), steps=1)
    with pytest.raises(ValueError, match=r"1\.\.100"):
        model.sample(2, steps=101)
    with pytest.raises(ValueError, match="diffusion_steps must be >= 2"):
        PoseDiffusion(JOINTS, diffusion_steps=1)


def test_the_extent_holds_each_learned_domains_box_and_root_range() -> None:
    first, second = _domain(-0.5), _domain(0.5, seed=1)
    model = _learned(first, second, steps=50)
    box = (first.amax(dim=1) - first.amin(dim=1)).sum(dim=-1)
    low, high = model.extent
    # box size: the template's 0.2 + 0.4 plus jitter, the same in both domains; root x spans both
    assert low[0].item() <= box.quantile(0.01).item() + 1e-6 and high[0].item() >= box.quantile(0.99).item() - 1e-6
    assert 0.5 < low[0].item() < high[0].item() < 0.75
    assert low[1].item() < -0.6 and high[1].item() > 0.6
    assert low[2].item() == pytest.approx(-0.23, abs=0.05) and high[2].item() == pytest.approx(0.23, abs=0.05)


def test_plausible_rejects_giant_and_off_image_poses_and_keeps_the_domains_own() -> None:
    data = _domain(-0.5)
    model = _learned(data, steps=50)
    assert model.plausible(data).float().mean().item() > 0.97  # its own poses (1st-99th percentile, widened)
    giant = data[:5] * 5  # five times the size
    far = data[:5] + torch.tensor([3.0, 0.0])  # beside the image
    assert not model.plausible(giant).any() and not model.plausible(far).any()


def test_plausible_sampling_returns_only_plausible_poses_or_says_train_longer() -> None:
    model = _learned(_domain(-0.5))
    samples = model.sample_plausible(500, steps=20, generator=torch.Generator().manual_seed(4))
    assert samples.shape == (500, JOINTS, 2) and model.plausible(samples).all()
    untrained = _learned(_domain(-0.5), steps=1)
    untrained.extent.copy_(torch.tensor([[0.59, -0.51, -0.01], [0.61, -0.49, 0.01]]))  # a range no sample hits
    with pytest.raises(RuntimeError, match="train the sampler longer"):
        untrained.sample_plausible(100, steps=5, rounds=2, generator=torch.Generator().manual_seed(5))


def test_partial_sampling_stops_near_the_noise_it_started_from() -> None:
    """20 of 100 single steps from pure noise leave mostly noise; 20 strided steps reach a pose."""
    model = _learned(_domain(-0.5))

    def start_and_sample(mode: str) -> tuple[torch.Tensor, torch.Tensor]:
        noise = torch.randn(1000, JOINTS * 2, generator=torch.Generator().manual_seed(6))  # sample's first draw
        poses = model.sample(1000, steps=20, mode=mode, generator=torch.Generator().manual_seed(6))
        standardised = (model._features(poses) - model.mean) / model.std
        return noise, standardised

    def correlation(a: torch.Tensor, b: torch.Tensor) -> float:
        return float(torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1])

    assert correlation(*start_and_sample("partial")) > 0.9
    assert correlation(*start_and_sample("strided")) < 0.7
