"""`make bench` (python -m bench): the collection's speed measured against the
plain way and the raw floor.

On fresh lab nodes (labs named pifleet-lab-bench-n<N>, made and removed here with
lab/lab.sh), for every N in BENCH_NODES and BENCH_RUNS times, alternating:
  A  ours:  playbooks/site.yml cold, then the unchanged re-run (warm)
  B  plain: bench/plain/site.yml cold, then warm
  F  floor: bench/floor.sh (shell over SSH only), cold
Cold ends when the demo site answers over HTTPS on every node (curl --resolve
--cacert). Warm runs must report changed=0; an APT::Update::Pre-Invoke hook
counts apt-get update runs on the nodes. Once, on the ours lab: arm_image
timings, stream vs build distribution, image sizes and a bounded load test
(smallest N), and the Ansible knobs on the warm re-run (largest N).
First, unless BENCH_VM=0: one aarch64 VM under QEMU (lab/vm.sh, pifleet-lab-bench-vm)
gets site.yml with Caddy behind Swarm's ingress routing mesh, and the same load
test runs through the mesh and against containers run directly on the VM.

Writes build/bench/bench.json, bench.txt (the table) and bench.png; logs of every
run under build/bench/logs/. The machine is shared and noisy: read the medians
and the per-pair ratios, not single figures. `python -m bench --table` renders
the table again from bench.json.

By job: settings (the BENCH_* settings, read when a run starts, and what is
fixed), lab (the labs and their nodes), measure and load (the measurements),
stats (medians and ratios), report (the table and the chart), cli (the order
of a run and the command line).
"""
