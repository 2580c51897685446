"""The reliability suite: fault injection through the Razorpay simulator, crash recovery of
real service processes, database loss, and schema-driven fuzzing, each scenario followed by a
check of the invariants the whole database must keep (`reliability.invariants`)."""
