# spore-train's errors name what does not fit, before anything trains.
# RUN: rm -rf %t && %python %S/Inputs/toy_data.py %t
# RUN: %python -c "import numpy as np; np.savez('%t/wide.npz', x=np.zeros((16, 4), np.float32), y=np.zeros(16, np.float32)); np.savez('%t/renamed.npz', features=np.zeros((16, 3), np.float32), y=np.zeros(16, np.float32)); np.savez('%t/short.npz', x=np.zeros((5, 3), np.float32), y=np.zeros(5, np.float32))"
#
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/renamed.npz --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=FIELD
# FIELD: spore-train: error: 'train_step(x: f32[8, 3], y: f32[8]) -> (f32[])' takes 'x', but --train-data has no field of that name (fields: features, y)
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/wide.npz --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=SHAPE
# SHAPE: spore-train: error: 'train_step(x: f32[8, 3], y: f32[8]) -> (f32[])': its parameter 'x' takes records of shape [3], but the records of --train-data's field 'x' are [4]
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/short.npz --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=SHORT
# SHORT: spore-train: error: --train-data has 5 records, fewer than one batch of 8
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/train.npz --eval-data %t/eval.npz --metrics a --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=NAMES
# NAMES: spore-train: error: 'eval_step(x: f32[8, 3], y: f32[8], valid: i32[]) -> (f32[], f32[])' has 2 results but 1 names were given for them
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/train.npz --eval-data %t/eval.npz --metrics mse,close --early-stop accuracy:max:2 --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=EARLY
# EARLY: spore-train: error: early stopping on 'accuracy', which is not a metric of the evaluation
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/train.npz --early-stop mse:up:2 --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=EARLY-FORM
# EARLY-FORM: spore-train: error: --early-stop 'mse:up:2' is not of the form METRIC:max|min:PATIENCE[:DELTA] with PATIENCE a positive integer
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/train.npz --normalize x=0,0 --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=NORM
# NORM: spore-train: error: --normalize 'x=0,0' is not of the form FIELD=MEAN,STD with STD not 0
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/train.npz --train-export fit --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=EXPORT
# EXPORT: spore-train: error: model 'linear' exports no function named 'fit' (exports: train_step, eval_step)
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/x.npy --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=SPEC
# SPEC: spore-train: error: --train-data '{{.*}}x.npy': give a .npz or .csv file, or FIELD=FILE for a .npy or IDX file
# RUN: not spore-train %S/Inputs/linear.py --train-data x=%t/missing.npy,y=%t/y.npy --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=MISSING
# MISSING: spore-train: error: {{.*}}missing.npy
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/train.npz --resume --run-dir %t/none --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=RESUME
# RESUME: spore-train: error: '{{.*}}none' has no checkpoint to resume from (checkpoints/step-*.npz)
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/train.npz --resume=%t/x.npz --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=RESUME-FILE
# RESUME-FILE: spore-train: error: cannot resume from '{{.*}}x.npz': no such file
# RUN: cp %t/train.npz %t/state.npz
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/train.npz --resume=%t/state.npz --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=RESUME-JSON
# RESUME-JSON: spore-train: error: cannot resume from '{{.*}}state.npz': '{{.*}}state.json', the trainer's position, is missing (a state saved otherwise can start a run, not resume one)
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/train.npz --steps -1 --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=NEGATIVE
# NEGATIVE: spore-train: error: --steps must not be negative
#
# Exports whose parameters are not batches of the data's records.
# RUN: not spore-train %S/Inputs/odd.py --train-data %t/train.npz --train-export scalar_step --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=SCALAR
# SCALAR: spore-train: error: 'scalar_step(x: f32[], y: f32[8]) -> (f32[])': its parameter 'x' is a scalar, not a batch of records
# RUN: not spore-train %S/Inputs/odd.py --train-data %t/train.npz --train-export mixed_step --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=MIXED
# MIXED: spore-train: error: 'mixed_step(x: f32[8, 3], y: f32[4]) -> (f32[])': its parameters take batches of different sizes
# RUN: not spore-train %S/Inputs/odd.py --train-data %t/train.npz --train-export nodata_step --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=NODATA
# NODATA: spore-train: error: 'nodata_step(valid: i32[]) -> (f32[])' takes no batch of data
# RUN: not spore-train %S/Inputs/odd.py --train-data %t/train.npz --train-export fit_step --init-state %t/train.npz --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=STATELESS
# STATELESS: spore-train: error: --init-state: '{{.*}}odd.py' has no state
# Without --init-state the stateless export trains (nothing to update).
# RUN: spore-train %S/Inputs/odd.py --train-data %t/train.npz --train-export fit_step --steps 3 --run-dir %t/stateless --cache-dir %t/cache --progress=none
# RUN: FileCheck %s --check-prefix=NO-STATE < %t/stateless/run.json
# NO-STATE: "state": {"tensors": 0, "elements": 0, "bytes": 0}
# NO-STATE: "result": {"steps": 3,
# RUN: %python -c "import numpy as np; assert np.load('%t/stateless/checkpoints/step-00000003.npz').files == []"
# RUN: not spore-train %S/Inputs/none.py --train-data %t/train.npz --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=NONE
# NONE: spore-train: error: '{{.*}}none.py' exports nothing to train (mark the training step with @export)
#
# A loss that becomes NaN stops the run at its step, with run.json saying so.
# RUN: %python -c "import numpy as np; np.savez('%t/nan.npz', x=np.full((16, 3), np.nan, np.float32), y=np.zeros(16, np.float32))"
# RUN: not spore-train %S/Inputs/linear.py --train-data %t/nan.npz --run-dir %t/nan --cache-dir %t/cache --progress=none 2>&1 | FileCheck %s --check-prefix=NAN
# NAN: spore-train: error: the loss is NaN at step 1 (epoch 1); the state is as the step left it
# RUN: FileCheck %s --check-prefix=FAILED < %t/nan/run.json
# FAILED: "status": "failed",
