"""Kata 8's check: while the sensor waits, it gives its worker slot back (up_for_reschedule or
deferred); once the file is there, the run finishes."""
from __future__ import annotations

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

DAG_ID = "kata_08_sensor_mode"
TABLES: list[str] = []
LESSON = ("A sensor in poke mode holds a worker slot for its whole wait, sleeping. A few of them "
          "waiting for late partners take every slot, and nothing else runs.")
HINT = 'Give the FileSensor mode="reschedule" (partner_file_sensor does), or use a deferrable sensor.'
EXPECT = "held its worker slot"
SENSOR = "wait_for_ready_file"
# Four of the sensor's 3 s checks: time enough to give the slot back at least once.
SLOT_GIVEN_BACK_WITHIN = 12
WAITING_WITHOUT_A_SLOT = {"up_for_reschedule", "deferred"}


def test_the_waiting_sensor_gives_its_slot_back(kata, airflow_stack, airflow_api, unique_logical_date):
    day = unique_logical_date()
    run_id = f"kata_08__{day}"
    airflow_api.trigger(kata.dag_id, day, run_id)
    try:
        states = []

        def sensor_state() -> str | None:
            states.append(airflow_api.task_instances(kata.dag_id, run_id).get(SENSOR, {}).get("state"))
            return states[-1]

        # Until it runs at all (a busy worker may take a while), then while it waits.
        Retrying(stop=stop_after_delay(120), wait=wait_fixed(1), retry=retry_if_result(lambda s: s is None
                 or s in ("scheduled", "queued")), retry_error_callback=lambda _: None)(sensor_state)
        state = Retrying(stop=stop_after_delay(SLOT_GIVEN_BACK_WITHIN), wait=wait_fixed(0.5),
                         retry=retry_if_result(lambda s: s not in WAITING_WITHOUT_A_SLOT),
                         retry_error_callback=lambda _: None)(sensor_state)
        assert state in WAITING_WITHOUT_A_SLOT, (
            f"the sensor held its worker slot: still {state!r} after {SLOT_GIVEN_BACK_WITHIN}s of waiting "
            f"(states seen: {sorted(set(filter(None, states)))})")
    finally:
        airflow_stack.write_data_file(f"kata_08/{day}.ready", "ready\n")
    airflow_api.wait_for_run(kata.dag_id, run_id, timeout=120)
