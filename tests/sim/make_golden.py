#!/usr/bin/python3
"""Golden values for the sim and savgol tests, from an independent NumPy/SciPy reference.

Writes tests/sim/sim_golden.inc (plan -> 41 reference poses -> profiles -> 41 simulated states)
and tests/eval/savgol_golden.inc (scipy.signal.savgol_filter outputs). There is no NAVSIM install
here, so the simulator below is a plain batch-style re-implementation of navsim-pdms.md 3.1-3.5:
dense matrices and np.linalg.pinv for the profile fits, scipy interp1d + np.unwrap for the
interpolation, the tracker and bicycle step by step. Run with Debian's interpreter:
    /usr/bin/python3 tests/sim/make_golden.py
"""
import os

import numpy as np
import scipy
from scipy.interpolate import interp1d
from scipy.signal import savgol_filter

HERE = os.path.dirname(os.path.abspath(__file__))
DT = 0.1
WHEEL_BASE = 3.089
X, Y, H, VX, VY, AX, AY, DELTA, DELTA_RATE, YAW_RATE, YAW_ACC = range(11)


def normalize_angle(a):
    return np.arctan2(np.sin(a), np.cos(a))


def principal_value(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


def se2(p):
    c, s = np.cos(p[2]), np.sin(p[2])
    return np.array([[c, -s, p[0]], [s, c, p[1]], [0.0, 0.0, 1.0]])


def to_global(origin, relative):
    out = []
    for p in relative:
        m = se2(origin) @ se2(p)
        out.append([m[0, 2], m[1, 2], np.arctan2(m[1, 0], m[0, 0])])
    return np.array(out)


def interpolate(initial_pose, global_poses, interval, t0_us):
    """transform_trajectory + InterpolatedTrajectory + get_trajectory_as_array, poses only."""
    n = len(global_poses)
    t0_s = t0_us * 1e-6
    knots_s = np.arange(0.0, n * interval, interval)[:n] + interval
    knots_s += t0_s
    times = [t0_us] + [int(t * 1e6) for t in knots_s]
    states = np.vstack([np.asarray(initial_pose)[None], global_poses])
    linear = interp1d(times, states[:, :2], axis=0)
    angular = interp1d(times, np.unwrap(states[:, 2], axis=0), axis=0)
    samples_s = np.arange(0.0, 4.0 + 0.1, 0.1) + t0_s
    samples = np.clip([int(t * 1e6) for t in samples_s], times[0], times[-1])
    return np.hstack([linear(samples), principal_value(angular(samples))[:, None]])


def fit_profiles(poses, jerk=1e-4, curvature_rate=1e-2, initial_curvature=1e-10):
    m = len(poses) - 1
    d = np.diff(poses, axis=0)
    heading = poses[:-1, 2]
    # velocity: z = [v0, a_0 .. a_{m-2}], rows (dx_k, dy_k)
    a = np.zeros((2 * m, m))
    for k in range(m):
        u = np.array([np.cos(heading[k]), np.sin(heading[k])])
        a[2 * k:2 * k + 2, 0] = u * DT
        a[2 * k:2 * k + 2, 1:k + 1] = (u * DT * DT)[:, None]
    # NAVSIM's _make_banded_difference_matrix, as written: the +1 band is set first and then
    # overwritten by the -1 band, so only the last row keeps its +1 (navsim-pdms.md 3.3).
    diff = np.zeros((m - 2, m - 1))
    diff[:, 1:] = np.eye(m - 2)
    diff[:, :-1] = -np.eye(m - 2)
    r = np.hstack([np.zeros((m - 2, 1)), diff])
    z = np.linalg.pinv(a.T @ a + jerk * r.T @ r) @ a.T @ d[:, :2].reshape(-1)
    velocity = z[0] + np.concatenate([[0.0], np.cumsum(z[1:] * DT)])
    # curvature: w = [k0, kdot_0 .. kdot_{m-2}], rows dtheta_k
    b = np.zeros((m, m))
    for k in range(m):
        b[k, 0] = velocity[k] * DT
        b[k, 1:k + 1] = velocity[k] * DT * DT
    q = curvature_rate * np.eye(m)
    q[0, 0] = initial_curvature
    w = np.linalg.pinv(b.T @ b + q) @ b.T @ normalize_angle(d[:, 2])
    curvature = w[0] + np.concatenate([[0.0], np.cumsum(w[1:] * DT)])
    return velocity, curvature


def track(i, s, ref, velocity, curvature):
    m = len(velocity)
    r = min(i + 10, m - 1)
    v_ref, v0 = velocity[r], s[VX]
    if v_ref <= 0.2 and v0 <= 0.2:
        return -0.5 * (v0 - v_ref), 0.0
    bl = 10 * DT
    accel = -1.0 / (bl * 10.0 * bl + 1.0) * bl * 10.0 * (v0 - v_ref)
    kappas = np.full(10, curvature[r])
    kappas[:r - i] = curvature[i:r]
    speeds = v0 + np.concatenate([[0.0], np.cumsum(np.full(9, accel * DT))])
    big_a, big_b, g = np.eye(3), np.zeros(3), np.zeros(3)
    for v, kappa in zip(speeds, kappas):
        step = np.eye(3)
        step[0, 1] = v * DT
        step[1, 2] = v * DT / WHEEL_BASE
        big_a = step @ big_a
        big_b = step @ big_b + np.array([0.0, 0.0, DT])
        g = step @ g + np.array([0.0, -v * kappa * DT, 0.0])
    rx, ry, rh = ref[i]
    x0 = np.array([-(s[X] - rx) * np.sin(rh) + (s[Y] - ry) * np.cos(rh), normalize_angle(s[H] - rh), s[DELTA]])
    e = big_a @ x0 + g
    e[1:] = normalize_angle(e[1:])
    q = np.diag([1.0, 10.0, 0.0])
    steering_rate = -1.0 / (big_b @ q @ big_b + 1.0) * (big_b @ q @ e)
    return accel, steering_rate


def propagate(s, accel_cmd, rate_cmd):
    n = s.copy()
    accel = s[AX] + DT / (DT + 0.2) * (accel_cmd - s[AX])
    ideal = s[DELTA] + DT * rate_cmd
    rate = (s[DELTA] + DT / (DT + 0.05) * (ideal - s[DELTA]) - s[DELTA]) / DT
    n[X] = s[X] + s[VX] * np.cos(s[H]) * DT
    n[Y] = s[Y] + s[VX] * np.sin(s[H]) * DT
    n[H] = principal_value(s[H] + s[VX] * np.tan(s[DELTA]) / WHEEL_BASE * DT)
    n[VX] = s[VX] + accel * DT
    n[VY] = 0.0
    n[AX], n[AY] = accel, 0.0
    n[DELTA] = np.clip(s[DELTA] + rate * DT, -np.pi / 3, np.pi / 3)
    n[DELTA_RATE] = rate
    n[YAW_RATE] = n[VX] * np.tan(n[DELTA]) / WHEEL_BASE
    n[YAW_ACC] = (n[YAW_RATE] - s[YAW_RATE]) / DT
    return n


def simulate(initial, ref):
    velocity, curvature = fit_profiles(ref)
    states = np.zeros((len(ref), 11))
    states[0] = initial
    states[0, [DELTA, DELTA_RATE, YAW_RATE, YAW_ACC]] = 0.0
    for i in range(len(ref) - 1):
        states[i + 1] = propagate(states[i], *track(i, states[i], ref, velocity, curvature))
    return velocity, curvature, states


def arc(radius, speed, times, heading0=0.0):
    """Relative poses on a circle (radius < 0 turns right), starting tangent to +x."""
    a = speed * np.asarray(times) / radius
    return np.stack([radius * np.sin(a), radius * (1 - np.cos(a)), a + heading0], axis=1)


def cases():
    t8 = 0.5 * np.arange(1, 9)
    t40 = 0.1 * np.arange(1, 41)
    s = lambda **kw: np.array([kw.get(k, 0.0) for k in
                               ("x", "y", "h", "vx", "vy", "ax", "ay", "d", "dr", "w", "wa")])
    yield "straight_10mps", s(x=12.0, y=-3.0, h=0.2, vx=10.0), 0.5, 0, np.stack([10 * t8, 0 * t8, 0 * t8], 1)
    yield "curve_left", s(x=-50.0, y=20.0, h=1.0, vx=7.0, ax=0.5, vy=0.1, ay=0.3), 0.5, 0, arc(30.0, 7.5, t8)
    stop = np.where(t8 <= 2.0, 4 * t8 - t8 * t8, 4.0)  # brakes to a stop at 2 s, then holds
    yield "stopping", s(x=5.0, y=5.0, h=-0.5, vx=4.0, ax=-1.0), 0.5, 0, np.stack([stop, 0.02 * stop, 0 * t8], 1)
    yield "standstill", s(x=1.0, y=2.0, h=0.3, vx=0.1), 0.5, 0, np.zeros((8, 3))
    yield "u_turn_across_pi", s(x=3.0, y=-7.0, h=2.9, vx=5.0), 0.5, 0, arc(8.0, 5.0, t8)
    yield "short_plan_held", s(h=-3.0, vx=6.0, d=0.1, dr=0.2, w=0.3, wa=0.4), 0.5, 0, arc(-40.0, 6.0, 0.5 * np.arange(1, 5))
    slalom = np.stack([8 * t40, 1.5 * np.sin(t40 * 1.3), np.arctan2(1.5 * 1.3 * np.cos(t40 * 1.3), 8)], 1)
    yield "slalom_40x0.1", s(x=100.0, y=100.0, h=-2.0, vx=8.0, ax=0.2), 0.1, 0, slalom
    yield "real_timestamp", s(x=664.2, y=-1820.4, h=3.1, vx=9.0, ax=-0.4), 0.5, 1624012345678901, arc(-25.0, 9.0, t8)
    yield "reverse_heading_flip", s(x=0.0, y=0.0, h=np.pi, vx=2.0), 0.5, 0, np.stack([-2 * t8, 0 * t8, np.pi + 0 * t8], 1)


def fmt(values):
    return "{" + ", ".join(repr(float(v)) for v in np.ravel(values)) + "}"


def write_sim(path):
    lines = ["// Generated by tests/sim/make_golden.py (NumPy %s, SciPy %s); do not edit." % (np.__version__, scipy.__version__),
             "// Per case: initial state (11 doubles), plan interval, start timestamp (us), relative plan",
             "// (x, y, heading triples), 41 reference poses, 40 velocities, 40 curvatures, 41 x 11 states.",
             "struct SimGolden {", "  const char* name;", "  std::vector<double> initial;", "  double interval;",
             "  long long start_time_us;", "  std::vector<double> plan, reference, velocity, curvature, states;", "};",
             "static const std::vector<SimGolden> kSimGolden = {"]
    for name, initial, interval, t0_us, plan in cases():
        plan_global = to_global(initial[:3], plan)
        ref = interpolate(initial[:3], plan_global, interval, t0_us)
        velocity, curvature, states = simulate(initial, ref)
        lines.append('  {"%s", %s, %r, %dLL,\n   %s,\n   %s,\n   %s,\n   %s,\n   %s},' %
                     (name, fmt(initial), interval, t0_us, fmt(plan), fmt(ref), fmt(velocity), fmt(curvature), fmt(states)))
    lines.append("};")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_savgol(path):
    rng = np.random.default_rng(7)
    # (n, window, polyorder, deriv, delta): the comfort metrics' shapes (41/2, 8/2, 5/2 d1, 5/3 d2,
    # 15/2 d1 for EPDMS) plus short series where the window is clipped to n and odd sizes.
    shapes = [(41, 41, 2, 0, 0.1), (41, 8, 2, 0, 0.1), (41, 41, 2, 1, 0.1), (41, 15, 2, 1, 0.1),
              (41, 5, 2, 1, 0.1), (41, 5, 3, 2, 0.1), (41, 5, 2, 2, 0.1), (41, 15, 3, 0, 1.0),
              (55, 8, 2, 0, 0.1), (55, 15, 2, 1, 0.1), (55, 8, 3, 1, 0.1), (55, 41, 2, 2, 0.1),
              (10, 8, 2, 0, 0.1), (10, 5, 3, 2, 0.1), (10, 10, 2, 1, 0.1), (8, 8, 2, 1, 0.1),
              (36, 8, 2, 0, 0.1), (41, 6, 4, 1, 0.25), (9, 9, 0, 0, 1.0), (41, 41, 2, 3, 0.1)]
    lines = ["// Generated by tests/sim/make_golden.py with SciPy %s; do not edit." % scipy.__version__,
             "struct SavgolGolden { int window, poly, deriv; double delta; std::vector<double> x, y; };",
             "static const std::vector<SavgolGolden> kSavgolGolden = {"]
    for n, w, p, d, delta in shapes:
        x = np.cumsum(rng.normal(size=n))
        y = savgol_filter(x, w, p, deriv=d, delta=delta)  # mode="interp" is the default
        lines.append("  {%d, %d, %d, %r, %s,\n   %s}," % (w, p, d, delta, fmt(x), fmt(y)))
    lines.append("};")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    write_sim(os.path.join(HERE, "sim_golden.inc"))
    write_savgol(os.path.join(HERE, "..", "eval", "savgol_golden.inc"))
