# spore-train trains, evaluates and writes its run folder; a run split by
# --steps and --resume ends with the same state as the uninterrupted run,
# bit for bit.
# RUN: rm -rf %t && %python %S/Inputs/toy_data.py %t
# RUN: spore-train %S/Inputs/linear.py --train-data %t/train.npz --eval-data %t/eval.npz --epochs 6 --seed 3 --metrics mse,close --log-every 5 --run-dir %t/whole --cache-dir %t/cache --progress=lines | FileCheck %s
# CHECK: linear: 40 training records, 10 evaluation records, batches of 8; run folder {{.*}}whole
# CHECK: epoch 1/6  step 5  loss {{[0-9.]+}}  {{[0-9]+}} samples/s  {{[0-9.]+}} s  mse {{[0-9.]+}}  close {{[0-9.]+}}
# CHECK: epoch 6/6  step 30  loss
# CHECK: trained 30 steps in
# CHECK: eval mse {{[0-9.]+}}
# CHECK: checkpoint {{.*}}whole/checkpoints/step-00000030.npz
# RUN: FileCheck %s --check-prefix=RUN-JSON < %t/whole/run.json
# RUN-JSON: "model": "linear",
# RUN-JSON: "status": "finished",
# RUN-JSON: "batch_size": 8, "batches_per_epoch": 5, "train_records": 40, "eval_records": 10, "data_seed": 3
# RUN-JSON: "state": {"tensors": 5,
# RUN-JSON: "source": {"path": "{{.*}}linear.py", "sha256": "{{[0-9a-f]+}}"}
# RUN-JSON: "seed": 3,
# RUN-JSON: "result": {"steps": 30, "epochs": 6,
# RUN-JSON-SAME: "metrics": {"mse": {{[0-9.e-]+}}, "close": {{[0-9.]+}}}
# RUN: FileCheck %s --check-prefix=CSV < %t/whole/metrics.csv
# CSV: step,epoch,loss,samples_per_s,mse,close
# CSV-NEXT: 5,1,{{[0-9.e-]+}},{{[0-9.]+}},,
# CSV-NEXT: 5,1,,,{{[0-9.e-]+}},{{[0-9.e-]+}}
#
# Split: 13 steps (mid-epoch), then resumed from the run folder's newest
# checkpoint, written where the first part stopped.
# RUN: spore-train %S/Inputs/linear.py --train-data %t/train.npz --eval-data %t/eval.npz --steps 13 --seed 3 --metrics mse,close --run-dir %t/split --cache-dir %t/cache --progress=none
# RUN: ls %t/split/checkpoints | FileCheck %s --check-prefix=PART
# PART: step-00000013.npz
# RUN: spore-train %S/Inputs/linear.py --train-data %t/train.npz --eval-data %t/eval.npz --epochs 6 --seed 3 --metrics mse,close --run-dir %t/split --cache-dir %t/cache --resume --progress=lines | FileCheck %s --check-prefix=RESUMED
# RESUMED: resumed from {{.*}}split/checkpoints/step-00000013.npz
# RESUMED-NOT: epoch 1/6
# RESUMED: epoch 3/6  step 15
# RESUMED: trained 30 steps
# RUN: %python %S/Inputs/same_state.py %t/whole/checkpoints/step-00000030.npz %t/split/checkpoints/step-00000030.npz
# RUN: FileCheck %s --check-prefix=RESUMED-JSON < %t/split/run.json
# RESUMED-JSON: "resumed_from": "{{.*}}step-00000013.npz"
#
# The same data as .npy files bound field by field, a progress bar, a
# starting state from a checkpoint, the second run from the cache.
# RUN: spore-train %S/Inputs/linear.py --train-data x=%t/x.npy,y=%t/y.npy --epochs 1 --init-state %t/whole/checkpoints/step-00000030.npz --run-dir %t/bar --cache-dir %t/cache --progress=bar -v > %t/bar.txt 2> %t/bar.err
# RUN: FileCheck %s --check-prefix=BAR < %t/bar.txt
# BAR: epoch 1/1 [{{[= >]+}}] {{[0-9]}}/5  loss {{[0-9.]+}}  {{[0-9]+}} samples/s  ETA 0:00
# BAR: epoch 1/1  step 5  loss
# RUN: FileCheck %s --check-prefix=CACHED < %t/bar.err
# CACHED: spore-train: reusing {{.*}}linear-{{[0-9a-f]+}}.so
