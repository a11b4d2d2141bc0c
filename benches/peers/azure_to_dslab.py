#!/usr/bin/env python3
"""The In-Vitro samples of the Azure Functions 2019 trace (N_inv.csv, N_run.csv,
N_mem.csv; https://github.com/vhive-serverless/invitro, MIT) in the dataset's own layout
(Azure Public Dataset, AzureFunctionsDataset2019.md, CC-BY 4.0), which DSLab FaaS reads
(dslab-faas, src/extra/azure_trace_2019.rs), for docs/performance.md's side-by-side run:
  invocations_per_function_md.anon.d01.csv    HashOwner,HashApp,HashFunction,Trigger,1..1440
  function_durations_percentiles.anon.d01.csv HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_{0,1,25,50,75,99,100}
  app_memory_percentiles.anon.d01.csv         HashOwner,HashApp,HashFunction,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct{1,5,25,50,75,95,99,100}
Every function and every minute is kept; the samples carry no trigger, written "http".
Usage: python3 benches/peers/azure_to_dslab.py IN_DIR N OUT_DIR
"""
import csv, os, sys

def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, n, dst = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(dst, exist_ok=True)
    total = 0
    nfun = 0
    # invocations
    with open(os.path.join(src, f"{n}_inv.csv"), newline="") as fi, \
         open(os.path.join(dst, "invocations_per_function_md.anon.d01.csv"), "w", newline="") as fo:
        r = csv.reader(fi); w = csv.writer(fo, lineterminator="\n")
        hdr = next(r)
        assert hdr[:3] == ["HashFunction", "HashApp", "HashOwner"], hdr[:3]
        minutes = len(hdr) - 3
        assert minutes == 1440, minutes
        w.writerow(["HashOwner", "HashApp", "HashFunction", "Trigger"] + [str(i) for i in range(1, 1441)])
        for row in r:
            f, a, o = row[0], row[1], row[2]
            counts = row[3:]
            total += sum(int(x) for x in counts)
            nfun += 1
            w.writerow([o, a, f, "http"] + counts)
    # durations: sample has Count,Average; original has Average,Count
    with open(os.path.join(src, f"{n}_run.csv"), newline="") as fi, \
         open(os.path.join(dst, "function_durations_percentiles.anon.d01.csv"), "w", newline="") as fo:
        r = csv.reader(fi); w = csv.writer(fo, lineterminator="\n")
        hdr = next(r)
        assert hdr[:7] == ["HashFunction", "HashApp", "HashOwner", "Count", "Average", "Minimum", "Maximum"], hdr
        w.writerow(["HashOwner", "HashApp", "HashFunction", "Average", "Count", "Minimum", "Maximum"] + hdr[7:])
        for row in r:
            f, a, o, cnt, avg = row[:5]
            w.writerow([o, a, f, avg, cnt] + row[5:])
    # memory (per app); HashFunction column filled with the app hash (equal in the samples)
    with open(os.path.join(src, f"{n}_mem.csv"), newline="") as fi, \
         open(os.path.join(dst, "app_memory_percentiles.anon.d01.csv"), "w", newline="") as fo:
        r = csv.reader(fi); w = csv.writer(fo, lineterminator="\n")
        hdr = next(r)
        assert hdr[:2] == ["HashApp", "HashOwner"], hdr[:2]
        w.writerow(["HashOwner", "HashApp", "HashFunction"] + hdr[2:])
        for row in r:
            a, o = row[0], row[1]
            w.writerow([o, a, a] + row[2:])
    print(f"functions={nfun} invocations={total} -> {dst}")

if __name__ == "__main__":
    main()
