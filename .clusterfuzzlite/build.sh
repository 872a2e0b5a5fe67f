#!/bin/bash -eu
# ClusterFuzzLite build: the same as OSS-Fuzz's, which follows the same
# contract ($CC, $CFLAGS, $LIB_FUZZING_ENGINE, $SRC, $WORK, $OUT).
set -eu
exec bash -eu "$SRC/lib9p/fuzz/oss-fuzz/build.sh"
