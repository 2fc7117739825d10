// Runs a two-stream scenario (joins, unions, transformWith, windows) on real Apache Spark (the jars
// that the pyspark wheel ships), driven by Spark's ManualClock, and prints every output of every
// operation, batch by batch, in the format of tests/oracle/ops/README.md, so that sparklet can be
// compared line for line (tests/oracle_ops.rs). Usage:
//   java ... SparkOpsOracle scenario FILE        -> the lines on stdout
//   java ... SparkOpsOracle goldens FILE...      -> writes FILE's .spark.out next to each FILE
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.*;
import org.apache.spark.api.java.Optional;
import org.apache.spark.api.java.function.Function3;
import org.apache.spark.streaming.*;
import org.apache.spark.streaming.api.java.*;
import org.apache.spark.streaming.scheduler.*;
import org.apache.spark.util.ManualClock;
import scala.Tuple2;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

public class SparkOpsOracle {
  static final long BATCH_MS = 1000;

  /** One operation of a scenario: its name and, for the windowed ones, window and slide in batches. */
  record Op(String name, int window, int slide) {
    String label() { return window == 0 ? name : name + " " + window + " " + slide; }
  }

  record Scenario(int partitions, List<Op> ops, List<List<Tuple2<String, Integer>>> a,
      List<List<Tuple2<String, Integer>>> b) {}

  static final Set<String> PLAIN = Set.of("JOIN", "LOJ", "ROJ", "FOJ", "COGROUP", "UNION",
      "TRANSFORMWITH", "REDUCE", "COUNTBYVALUE", "COUNT", "GLOM", "REPARTITION", "FLATMAPVALUES",
      "COMBINEBYKEY", "REDUCEBYKEYWITH");
  static final Set<String> WINDOWED = Set.of("WINDOW", "COUNTBYWINDOW", "REDUCEBYWINDOW",
      "REDUCEBYWINDOWINV", "COUNTBYVALUEANDWINDOW", "REDUCEBYKEYANDWINDOW",
      "REDUCEBYKEYANDWINDOWINV", "REDUCEBYKEYANDWINDOWINVF", "GROUPBYKEYANDWINDOW", "WINDOWJOIN");

  static List<Tuple2<String, Integer>> parsePairs(String text) {
    List<Tuple2<String, Integer>> out = new ArrayList<>();
    for (String w : text.trim().split("\\s+")) {
      if (w.isEmpty()) continue;
      String[] kv = w.split("=");
      if (kv.length != 2) throw new IllegalArgumentException("expected k=v, got '" + w + "'");
      out.add(new Tuple2<>(kv[0], Integer.parseInt(kv[1])));
    }
    return out;
  }

  static Scenario parse(Path file) throws Exception {
    int partitions = 2;
    List<Op> ops = new ArrayList<>();
    List<List<Tuple2<String, Integer>>> a = new ArrayList<>(), b = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String t = line.trim();
      if (t.isEmpty() || t.startsWith("#")) continue;
      String[] p = t.split("\\s+");
      switch (p[0]) {
        case "partitions": partitions = Integer.parseInt(p[1]); break;
        case "op": {
          if (PLAIN.contains(p[1]) && p.length == 2) ops.add(new Op(p[1], 0, 0));
          else if (WINDOWED.contains(p[1]) && p.length == 4)
            ops.add(new Op(p[1], Integer.parseInt(p[2]), Integer.parseInt(p[3])));
          else throw new IllegalArgumentException("bad op line: " + line);
          break;
        }
        case "batch": {
          String rest = t.substring("batch".length());
          int bar = rest.indexOf('|');
          a.add(parsePairs(bar < 0 ? rest : rest.substring(0, bar)));
          b.add(parsePairs(bar < 0 ? "" : rest.substring(bar + 1)));
          break;
        }
        default: throw new IllegalArgumentException("unknown line: " + line);
      }
    }
    return new Scenario(partitions, ops, a, b);
  }

  static String opt(Optional<?> o) { return o.isPresent() ? "Some(" + o.get() + ")" : "None"; }

  static String ints(Iterable<Integer> xs) {
    List<Integer> l = new ArrayList<>();
    for (Integer x : xs) l.add(x);
    Collections.sort(l);
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < l.size(); i++) { if (i > 0) s.append(','); s.append(l.get(i)); }
    return s.append(']').toString();
  }

  /** Formats one item; serializable because the checkpointed graph holds the output closures. */
  interface Fmt<T> extends java.io.Serializable { String apply(T x); }

  static Duration batches(int n) { return Durations.milliseconds(BATCH_MS * n); }

  // Registers an output operation that records, per batch, `label` and the sorted formatted items.
  static <T> void record(JavaDStreamLike<T, ?, ?> stream, int index, String label,
      Fmt<T> format, ConcurrentSkipListMap<Long, String> lines) {
    stream.foreachRDD((rdd, time) -> {
      List<String> items = new ArrayList<>();
      for (T x : rdd.collect()) items.add(format.apply(x));
      Collections.sort(items);
      String line = (label + " " + String.join(" ", items)).trim();
      if (lines.put(time.milliseconds() * 1000 + index, line) != null)
        throw new IllegalStateException("two outputs for " + label + " at " + time);
    });
  }

  static List<String> run(Scenario s) throws Exception {
    SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("ops-oracle")
        .set("spark.ui.enabled", "false")
        .set("spark.default.parallelism", Integer.toString(s.partitions()))
        .set("spark.streaming.clock", "org.apache.spark.util.ManualClock");
    JavaStreamingContext ssc = new JavaStreamingContext(conf, batches(1));
    Path ckpt = Files.createTempDirectory("ops-oracle-ckpt");
    ssc.checkpoint(ckpt.toString());
    Queue<JavaRDD<Tuple2<String, Integer>>> qa = new LinkedList<>(), qb = new LinkedList<>();
    for (List<Tuple2<String, Integer>> x : s.a()) qa.add(ssc.sparkContext().parallelize(x, s.partitions()));
    for (List<Tuple2<String, Integer>> x : s.b()) qb.add(ssc.sparkContext().parallelize(x, s.partitions()));
    JavaPairDStream<String, Integer> a = JavaPairDStream.fromJavaDStream(ssc.queueStream(qa, true));
    JavaPairDStream<String, Integer> b = JavaPairDStream.fromJavaDStream(ssc.queueStream(qb, true));
    // Every batch runs at least this job, so that every batch reports completion to the listener
    // (Spark posts no batch events for a batch without jobs: windows with slide > 1 batch).
    a.foreachRDD(rdd -> { rdd.count(); });

    ConcurrentSkipListMap<Long, String> lines = new ConcurrentSkipListMap<>();
    Function3<JavaPairRDD<String, Integer>, JavaPairRDD<String, Integer>, Time, JavaPairRDD<String, Integer>> subtract =
        (x, y, t) -> {
          int bump = (int) (100 * (t.milliseconds() / BATCH_MS));
          return x.subtractByKey(y).mapValues(v -> v + bump);
        };
    for (int i = 0; i < s.ops().size(); i++) {
      Op op = s.ops().get(i);
      String l = op.label();
      Duration w = batches(op.window()), sl = batches(op.slide());
      switch (op.name()) {
        case "JOIN": record(a.join(b), i, l, Object::toString, lines); break;
        case "LOJ": record(a.leftOuterJoin(b), i, l,
            x -> "(" + x._1() + ",(" + x._2()._1() + "," + opt(x._2()._2()) + "))", lines); break;
        case "ROJ": record(a.rightOuterJoin(b), i, l,
            x -> "(" + x._1() + ",(" + opt(x._2()._1()) + "," + x._2()._2() + "))", lines); break;
        case "FOJ": record(a.fullOuterJoin(b), i, l,
            x -> "(" + x._1() + ",(" + opt(x._2()._1()) + "," + opt(x._2()._2()) + "))", lines); break;
        case "COGROUP": record(a.cogroup(b), i, l,
            x -> "(" + x._1() + ",(" + ints(x._2()._1()) + "," + ints(x._2()._2()) + "))", lines); break;
        case "UNION": record(ssc.union(a, b, a.mapValues(v -> v * 10)), i, l, Object::toString, lines); break;
        case "TRANSFORMWITH": record(a.transformWithToPair(b, subtract), i, l, Object::toString, lines); break;
        case "REDUCE": record(a.map(x -> x._2()).reduce((x, y) -> x + y), i, l, Object::toString, lines); break;
        case "COUNTBYVALUE": record(a.countByValue(), i, l, Object::toString, lines); break;
        case "COUNT": record(a.count(), i, l, Object::toString, lines); break;
        case "GLOM": record(a.glom(), i, l, x -> {
            List<String> items = new ArrayList<>();
            for (Tuple2<String, Integer> kv : x) items.add(kv.toString());
            return "[" + String.join(",", items) + "]";
          }, lines); break;
        case "REPARTITION": record(a.repartition(3), i, l, Object::toString, lines); break;
        case "FLATMAPVALUES": record(a.flatMapValues(v -> Collections.nCopies(v % 3, v).iterator()),
            i, l, Object::toString, lines); break;
        case "COMBINEBYKEY": record(a.combineByKey(v -> new Tuple2<>(v, 1),
            (c, v) -> new Tuple2<>(c._1() + v, c._2() + 1),
            (c, d) -> new Tuple2<>(c._1() + d._1(), c._2() + d._2()),
            new org.apache.spark.HashPartitioner(s.partitions())), i, l, Object::toString, lines); break;
        case "REDUCEBYKEYWITH": record(a.reduceByKey((x, y) -> x + y, new org.apache.spark.HashPartitioner(3)),
            i, l, Object::toString, lines); break;
        case "WINDOW": record(a.window(w, sl), i, l, Object::toString, lines); break;
        case "COUNTBYWINDOW": record(a.countByWindow(w, sl), i, l, Object::toString, lines); break;
        case "REDUCEBYWINDOW": record(a.map(x -> x._2()).reduceByWindow((x, y) -> x + y, w, sl),
            i, l, Object::toString, lines); break;
        case "REDUCEBYWINDOWINV": record(a.map(x -> x._2()).reduceByWindow((x, y) -> x + y,
            (x, y) -> x - y, w, sl), i, l, Object::toString, lines); break;
        case "COUNTBYVALUEANDWINDOW": record(a.countByValueAndWindow(w, sl), i, l, Object::toString, lines); break;
        case "REDUCEBYKEYANDWINDOW": record(a.reduceByKeyAndWindow((x, y) -> x + y, w, sl),
            i, l, Object::toString, lines); break;
        case "REDUCEBYKEYANDWINDOWINV": record(a.reduceByKeyAndWindow((x, y) -> x + y,
            (x, y) -> x - y, w, sl), i, l, Object::toString, lines); break;
        case "REDUCEBYKEYANDWINDOWINVF": record(a.reduceByKeyAndWindow((x, y) -> x + y,
            (x, y) -> x - y, w, sl, s.partitions(), kv -> kv._2() != 0), i, l, Object::toString, lines); break;
        case "GROUPBYKEYANDWINDOW": record(a.groupByKeyAndWindow(w, sl), i, l,
            x -> "(" + x._1() + "," + ints(x._2()) + ")", lines); break;
        case "WINDOWJOIN": record(a.window(w, sl).join(b.window(w, sl)), i, l, Object::toString, lines); break;
        default: throw new IllegalArgumentException("unknown op " + op.name());
      }
    }

    AtomicInteger done = new AtomicInteger();
    AtomicReference<String> failure = new AtomicReference<>();
    ssc.addStreamingListener(new StreamingListener() {
      @Override public void onBatchCompleted(StreamingListenerBatchCompleted e) { done.incrementAndGet(); }
      @Override public void onOutputOperationCompleted(StreamingListenerOutputOperationCompleted e) {
        if (e.outputOperationInfo().failureReason().isDefined())
          failure.compareAndSet(null, e.outputOperationInfo().batchTime() + ": "
              + e.outputOperationInfo().failureReason().get());
      }
    });
    ssc.start();
    ManualClock clock = (ManualClock) ssc.ssc().scheduler().clock();
    int n = s.a().size();
    for (int i = 1; i <= n; i++) {
      clock.advance(BATCH_MS);
      long deadline = System.currentTimeMillis() + 120000;
      while (done.get() < i) {
        if (System.currentTimeMillis() > deadline) throw new RuntimeException("batch " + i + " did not complete");
        Thread.sleep(2);
      }
    }
    ssc.stop(true, false);
    if (failure.get() != null) throw new RuntimeException("an output operation failed at " + failure.get());
    List<String> out = new ArrayList<>();
    for (Map.Entry<Long, String> e : lines.entrySet())
      out.add((e.getKey() / 1000 / BATCH_MS) + " " + e.getValue());
    return out;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("scenario")) {
      for (String line : run(parse(Paths.get(args[1])))) System.out.println(line);
    } else if (args.length >= 2 && args[0].equals("goldens")) {
      for (int i = 1; i < args.length; i++) {
        Path file = Paths.get(args[i]);
        String name = file.getFileName().toString().replaceFirst("\\.txt$", "");
        Path out = file.resolveSibling(name + ".spark.out");
        try {
          List<String> lines = run(parse(file));
          Files.write(out, lines);
          System.out.println(out + ": " + lines.size() + " lines");
        } catch (Exception e) {
          System.out.println(file + ": FAILED: " + e);
        }
      }
    } else {
      throw new IllegalArgumentException("usage: scenario FILE | goldens FILE...");
    }
  }
}
