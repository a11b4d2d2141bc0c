# SimFaaS 0.2.2 (https://pypi.org/project/simfaas/, Mahmoudi and Khazaei) on the model of
# benches/scenarios/lambda-10.toml, for docs/performance.md's side-by-side measurement:
#   python3 -m venv venv && venv/bin/pip install simfaas==0.2.2
#   venv/bin/python benches/peers/simfaas_run.py 86400
# Prints the requests simulated, the process's CPU seconds and the fleet it found.
import sys, time
from simfaas.ServerlessSimulator import ServerlessSimulator as Sim

horizon = float(sys.argv[1]) if len(sys.argv) > 1 else 86400.0
sim = Sim(arrival_rate=10.0, warm_service_rate=1 / 1.991, cold_service_rate=1 / 2.244,
          expiration_threshold=600, max_time=horizon)
t0 = time.process_time()
sim.generate_trace(debug_print=False, progress=False)
cpu = time.process_time() - t0
n = sim.total_req_count
print(f"simfaas requests {n} cpu_s {cpu:.2f} req_per_cpu_s {n / cpu:.0f} "
      f"cold_prob {sim.get_cold_start_prob():.5f} avg_servers {sim.get_average_server_count():.2f}")
