"""Infrastructure tooling: the template reader, the local stack, seeding and the console command."""
