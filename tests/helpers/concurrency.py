"""Calls run at the same moment, for the PostgreSQL race tests."""

import threading

from django.db import connection


def run_together(calls) -> list:
    """Run each call in its own thread and connection, all released at once; return what
    each returned or raised, in order.

    A Celery task is called directly here (``task(...)``), never with ``task.apply()``:
    ``apply`` flips a process-wide "a join would block" flag around the task and, from
    two threads at once, can leave it set, so every later ``.get()`` in the process
    raises."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # kept, so the assertions show it
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
