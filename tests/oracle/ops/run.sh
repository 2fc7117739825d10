#!/bin/bash
# Runs SparkOpsOracle on real Apache Spark 4.3 (development tool: never run in CI).
#   tests/oracle/ops/run.sh scenario FILE       prints Spark's lines for one scenario
#   tests/oracle/ops/run.sh goldens FILE...     writes NNN.spark.out next to each NNN.txt
# The first call installs the pyspark==4.3.0 wheel (its jars are Spark) into $SPARK_VENV
# (default /tmp/sparkenv) and compiles SparkOpsOracle.java into $ORACLE_BUILD (default
# /tmp/spark-ops-oracle-build). Needs java and javac 17 or later and python3 with venv.
# Spark's log goes to $ORACLE_LOG (default /tmp/spark-ops-oracle.err).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${SPARK_VENV:-/tmp/sparkenv}
build=${ORACLE_BUILD:-/tmp/spark-ops-oracle-build}
if [ ! -d "$venv/lib" ] || ! ls "$venv"/lib/python3*/site-packages/pyspark/jars/spark-streaming_*.jar >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "pyspark==4.3.0"
fi
jars=$(ls -d "$venv"/lib/python3*/site-packages/pyspark/jars)
mkdir -p "$build"
if [ ! -f "$build/SparkOpsOracle.class" ] || [ "$here/SparkOpsOracle.java" -nt "$build/SparkOpsOracle.class" ]; then
  javac -nowarn -d "$build" -cp "$jars/*" "$here/SparkOpsOracle.java" 2>&1 | grep -v '^Note:' || true
  [ -f "$build/SparkOpsOracle.class" ] || { echo "SparkOpsOracle.java did not compile" >&2; exit 1; }
fi
exec java -Xmx2g --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
  -cp "$jars/*:$build" SparkOpsOracle "$@" 2>"${ORACLE_LOG:-/tmp/spark-ops-oracle.err}"
