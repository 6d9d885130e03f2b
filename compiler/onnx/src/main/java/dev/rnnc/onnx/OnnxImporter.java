package dev.rnnc.onnx;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Imports an ONNX model whose graph is an LSTM, GRU or RNN stack (with the glue exporters put around it, an
 * optional embedding and an optional linear head) as an rnnc spec and parameters.
 *
 * <pre>{@code
 * ImportedModel imported = OnnxImporter.read(Path.of("tagger.onnx"));
 * ModelConfig config = imported.config();          // what the spec says
 * ModelParameters weights = imported.parameters(); // rnn.weight_ih_l0, ..., head.weight
 * }</pre>
 *
 * <p>Conversions: gate blocks from ONNX's order (LSTM i,o,f,c; GRU z,r,h) to PyTorch's (i,f,g,o; r,z,n); ONNX's
 * bias {@code B = [Wb | Rb]} to {@code bias_ih}, {@code bias_hh}; LSTM peepholes {@code P} (i,o,f) to
 * {@code weight_ph} rows i,f,o; GRU {@code linear_before_reset} 1/0 to {@code gru_reset: after/before}; a
 * MatMul's {@code [features, outputs]} matrix to {@code head.weight [outputs, features]}.
 */
public final class OnnxImporter {
  /** Package of imported specs unless the caller names one. */
  public static final String DEFAULT_PACKAGE = "rnnc.imported";

  private OnnxImporter() {}

  /** Imports {@code onnxFile} with a model name derived from the file name and the default package. */
  public static ImportedModel read(Path onnxFile) {
    return read(onnxFile, null, null);
  }

  /**
   * Imports {@code onnxFile}.
   *
   * @param modelName   class name for the spec, or null to derive it from the file name
   * @param packageName package for the spec, or null for {@link #DEFAULT_PACKAGE}
   * @throws OnnxException when the file is malformed or the graph is not an rnnc model (one line per problem,
   *     naming the node and its op type)
   */
  public static ImportedModel read(Path onnxFile, String modelName, String packageName) {
    return importModel(OnnxReader.read(onnxFile), onnxFile, modelName, packageName);
  }

  /** Imports a model already read (from {@code onnxFile}, named in the spec's comment). */
  static ImportedModel importModel(OnnxModel model, Path onnxFile, String modelName, String packageName) {
    GraphAnalyzer analysis = analyse(model);
    List<String> problems = analysis.problems();
    if (!problems.isEmpty()) {
      String first = problems.get(0);
      String more = problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problem"
          + (problems.size() > 2 ? "s" : "") + "; run 'rnnc inspect' for all)" : "";
      throw new OnnxException(model.source() + ": " + first + more);
    }
    List<Binding> inputs = analysis.inputBindings();
    List<Binding> outputs = analysis.outputBindings();
    ModelConfig config = config(analysis);
    ModelParameters parameters = parameters(analysis, config);
    String name = modelName != null ? modelName : modelName(onnxFile);
    String pkg = packageName != null ? packageName : DEFAULT_PACKAGE;
    String yaml = SpecText.write(config, name, pkg, onnxFile, model, inputs, outputs);
    return new ImportedModel(yaml, config, parameters, name, pkg, inputs, outputs, model.source());
  }

  /**
   * What rnnc sees in {@code onnxFile}, as text: producer and opset, inputs and outputs, one line per node with
   * what it maps to, and every problem that prevents an import. Malformed files throw {@link OnnxException}.
   */
  public static Inspection inspect(Path onnxFile) {
    OnnxModel model = OnnxReader.read(onnxFile);
    GraphAnalyzer analysis = analyse(model);
    List<String> lines = new ArrayList<>();
    lines.add(model.source() + ": ONNX IR " + model.irVersion() + ", opset " + model.opset()
        + (model.producer().isEmpty() ? "" : ", produced by " + model.producer()) + ", "
        + model.graph().nodes().size() + " nodes, " + model.graph().initializers().size() + " initializers");
    lines.add("graph inputs:");
    model.graph().inputs().forEach(in -> lines.add("  " + in.name() + " " + OnnxTensor.typeName(in.elementType())
        + in.describeShape()));
    lines.add("graph outputs:");
    model.graph().outputs().forEach(out -> lines.add("  " + out.name() + " " + OnnxTensor.typeName(out.elementType())
        + out.describeShape()));
    lines.add("nodes (evaluation order):");
    analysis.nodeReport().forEach(line -> lines.add("  " + line));
    List<Binding> inputs = List.of();
    List<Binding> outputs = List.of();
    ModelConfig config = null;
    if (analysis.problems().isEmpty()) {
      inputs = analysis.inputBindings();
      outputs = analysis.outputBindings();
    }
    if (analysis.problems().isEmpty()) {
      config = config(analysis);
      lines.add("rnnc model: " + summary(config));
      lines.add("mapping:");
      inputs.forEach(b -> lines.add("  input  " + b));
      outputs.forEach(b -> lines.add("  output " + b));
      lines.add("importable: yes (rnnc import " + onnxFile + " --output-dir DIR)");
    } else {
      lines.add("unsupported:");
      analysis.problems().forEach(p -> lines.add("  " + p));
      lines.add("importable: no");
    }
    return new Inspection(lines, analysis.problems().isEmpty(), config);
  }

  /** The result of {@link #inspect(Path)}. */
  public record Inspection(List<String> lines, boolean importable, ModelConfig config) {
    public Inspection {
      lines = List.copyOf(lines);
    }
  }

  private static GraphAnalyzer analyse(OnnxModel model) {
    GraphAnalyzer analysis = new GraphAnalyzer(model);
    analysis.run();
    if (analysis.problems().isEmpty()) {
      analysis.finish();
    }
    return analysis;
  }

  static String summary(ModelConfig config) {
    return config.cell().name().toLowerCase(Locale.ROOT) + " " + config.layers() + " layer"
        + (config.layers() > 1 ? "s" : "") + (config.bidirectional() ? " bidirectional" : "")
        + (config.hasEmbedding() ? ", embedding " + config.vocab() + "x" + config.inputSize() : ", input " + config.inputSize())
        + ", hidden " + config.hidden()
        + (config.peepholes() ? ", peepholes" : "")
        + (config.cell() == ModelConfig.Cell.GRU ? ", gru_reset " + config.gruReset().name().toLowerCase(Locale.ROOT) : "")
        + (config.cell() == ModelConfig.Cell.RNN ? ", " + config.nonlinearity().name().toLowerCase(Locale.ROOT) : "")
        + ", " + config.mode().name().toLowerCase(Locale.ROOT)
        + (config.hasHead() ? ", head " + config.headSize() + " " + config.headActivation().name().toLowerCase(Locale.ROOT) : "")
        + ", " + config.parameterCount() + " parameters";
  }

  private static ModelConfig config(GraphAnalyzer analysis) {
    GraphAnalyzer.Layer first = analysis.layers.get(0);
    ModelConfig.Builder builder = ModelConfig.builder(first.cell())
        .nonlinearity(first.nonlinearity())
        .gruReset(first.gruReset())
        .hidden(first.hidden())
        .layers(analysis.layers.size())
        .bidirectional(first.directions() == 2)
        .peepholes(first.peepholes())
        .mode(analysis.headOnFinalState ? ModelConfig.Mode.MANY_TO_ONE : ModelConfig.Mode.MANY_TO_MANY);
    if (analysis.embedding != null) {
      builder.embedding(analysis.vocab, analysis.embeddingDim);
    } else {
      builder.input(first.inputSize());
    }
    if (analysis.headWeight != null) {
      builder.head(analysis.headSize, analysis.headActivation);
    }
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new OnnxException("the imported model is out of rnnc's range: " + e.getMessage(), e);
    }
  }

  /** Gate block order: rnnc block k comes from ONNX block PERM[k]. */
  private static int[] gatePermutation(ModelConfig.Cell cell) {
    return switch (cell) {
      case LSTM -> new int[] {0, 2, 3, 1};   // ONNX i,o,f,c -> i,f,g,o
      case GRU -> new int[] {1, 0, 2};       // ONNX z,r,h -> r,z,n
      case RNN -> new int[] {0};
    };
  }

  /** ONNX peephole blocks i,o,f -> rnnc rows i,f,o. */
  private static final int[] PEEPHOLE_PERMUTATION = {0, 2, 1};

  private static ModelParameters parameters(GraphAnalyzer analysis, ModelConfig config) {
    ModelParameters parameters = ModelParameters.zeros(config);
    int hidden = config.hidden();
    int gateRows = config.gateRows();
    int[] perm = gatePermutation(config.cell());
    for (int layer = 0; layer < config.layers(); layer++) {
      GraphAnalyzer.Layer onnx = analysis.layers.get(layer);
      int in = config.layerInputSize(layer);
      for (int d = 0; d < config.directions(); d++) {
        reorderBlocks(onnx.w(), d * gateRows * in, in, hidden, perm, parameters.get(ModelConfig.weightIh(layer, d)));
        reorderBlocks(onnx.r(), d * gateRows * hidden, hidden, hidden, perm,
            parameters.get(ModelConfig.weightHh(layer, d)));
        if (onnx.b() != null) {
          reorderBlocks(onnx.b(), d * 2 * gateRows, 1, hidden, perm, parameters.get(ModelConfig.biasIh(layer, d)));
          reorderBlocks(onnx.b(), d * 2 * gateRows + gateRows, 1, hidden, perm,
              parameters.get(ModelConfig.biasHh(layer, d)));
        }
        if (config.peepholes()) {
          reorderBlocks(onnx.p(), d * 3 * hidden, 1, hidden, PEEPHOLE_PERMUTATION,
              parameters.get(ModelConfig.weightPh(layer, d)));
        }
      }
    }
    if (config.hasEmbedding()) {
      System.arraycopy(analysis.embedding, 0, parameters.get(ModelConfig.EMBEDDING_WEIGHT), 0, analysis.embedding.length);
    }
    if (config.hasHead()) {
      System.arraycopy(analysis.headWeight, 0, parameters.get(ModelConfig.HEAD_WEIGHT), 0, analysis.headWeight.length);
      float[] bias = analysis.headBias != null ? analysis.headBias : new float[config.headSize()];
      System.arraycopy(bias, 0, parameters.get(ModelConfig.HEAD_BIAS), 0, bias.length);
    }
    for (String name : parameters.names()) {
      float[] values = parameters.get(name);
      for (int i = 0; i < values.length; i++) {
        if (!Float.isFinite(values[i])) {
          throw new OnnxException("the ONNX weights behind " + name + " contain " + values[i] + " at flat index " + i);
        }
      }
    }
    return parameters;
  }

  /** Copies blocks of {@code blockRows} rows of {@code columns} from {@code from} at {@code offset} in the order perm. */
  private static void reorderBlocks(float[] from, int offset, int columns, int blockRows, int[] perm, float[] to) {
    int block = blockRows * columns;
    for (int k = 0; k < perm.length; k++) {
      System.arraycopy(from, offset + perm[k] * block, to, k * block, block);
    }
  }

  /** A Java class name from a file name: "char_lstm-v2.onnx" -> "CharLstmV2". */
  static String modelName(Path file) {
    String base = file.getFileName().toString();
    int dot = base.lastIndexOf('.');
    if (dot > 0) {
      base = base.substring(0, dot);
    }
    StringBuilder out = new StringBuilder();
    boolean upper = true;
    for (char c : base.toCharArray()) {
      if (Character.isLetterOrDigit(c) && c < 128) {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      } else {
        upper = true;
      }
    }
    if (out.length() == 0 || !Character.isLetter(out.charAt(0))) {
      out.insert(0, "Imported");
    }
    return out.toString();
  }
}
