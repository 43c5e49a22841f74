"""Readers of a world's history for `mock-em import` (`Family.reads`): the job sessions, task
sessions and backup catalogue a source showed, made a recorded world's (`World.recorded`).
`sessions` and `catalogue` hold the two families' readers, `common` what they share."""
