"""Concurrent runs of one session from several threads."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from fake_model import OUTPUT_NAMES, expected_outputs, make_inputs


def test_concurrent_runs(session):
    def run_many(thread):
        for run in range(50):
            # A batch and values of its own, so crossed results would show.
            feed = make_inputs(1 + (thread * 5 + run) % 11,
                               seed=thread * 1000 + run)
            expected = expected_outputs(feed)
            for name, result in zip(OUTPUT_NAMES, session.run(None, feed)):
                np.testing.assert_array_equal(result, expected[name])
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(run_many, range(8)))
