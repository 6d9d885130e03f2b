package dev.rnnc.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the subset of the ONNX protobuf schema ({@code onnx.proto}, IR version 3–10) that rnnc needs, field by
 * field with protobuf-java's {@link CodedInputStream}: no generated classes, so no protoc in the build, and
 * every size is checked against the bytes actually present before anything is allocated.
 *
 * <p>Untrusted input is the norm: a wrong wire type on a known field, a length running past its message or the
 * file, a tensor whose dims claim more elements than its data holds (or than a Java array can), external data
 * outside the model's directory or past the end of its file, an unknown data type where numbers are needed —
 * each is an {@link OnnxException} with one line naming the file and the field or tensor.
 *
 * <p>Field numbers are those of {@code onnx/onnx.proto} (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto, StringStringEntryProto).
 */
public final class OnnxReader {
  /** protobuf's own ceiling for one message; larger models keep their weights in external data files. */
  private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

  private final String source;
  private final Path directory;
  private final byte[] bytes;

  private OnnxReader(String source, Path directory, byte[] bytes) {
    this.source = source;
    this.directory = directory;
    this.bytes = bytes;
  }

  /** Reads and checks an ONNX model file; external tensor data is read from files beside it. */
  public static OnnxModel read(Path file) {
    String source = file.toString();
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      throw new OnnxException("cannot read " + source + ": no such file");
    } catch (IOException e) {
      throw new OnnxException("cannot read " + source + ": " + e.getMessage(), e);
    }
    if (size > MAX_FILE_BYTES) {
      throw new OnnxException(source + ": " + size + " bytes is over protobuf's 2 GB message limit; a model that"
          + " large keeps its weights in external data files");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new OnnxException("cannot read " + source + ": " + e.getMessage(), e);
    }
    Path parent = file.toAbsolutePath().getParent();
    return new OnnxReader(source, parent, bytes).model();
  }

  /** Reads a model held in memory; external data, if any, is resolved against {@code directory}. */
  public static OnnxModel read(String sourceName, byte[] bytes, Path directory) {
    return new OnnxReader(sourceName, directory, bytes).model();
  }

  private OnnxModel model() {
    if (bytes.length == 0) {
      throw new OnnxException(source + ": empty file, not an ONNX model");
    }
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    in.setRecursionLimit(64);
    try {
      long irVersion = 0;
      String producerName = "";
      String producerVersion = "";
      Map<String, Long> opsets = new LinkedHashMap<>();
      OnnxModel.Graph graph = null;
      int tag;
      while ((tag = in.readTag()) != 0) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> irVersion = readVarint(in, tag, "ModelProto.ir_version");
          case 2 -> producerName = readString(in, tag, "ModelProto.producer_name");
          case 3 -> producerVersion = readString(in, tag, "ModelProto.producer_version");
          case 7 -> {
            int limit = enter(in, tag, "ModelProto.graph");
            graph = graph(in);
            in.popLimit(limit);
          }
          case 8 -> {
            int limit = enter(in, tag, "ModelProto.opset_import");
            String domain = "";
            long version = 1;
            int inner;
            while ((inner = in.readTag()) != 0) {
              switch (WireFormat.getTagFieldNumber(inner)) {
                case 1 -> domain = readString(in, inner, "OperatorSetIdProto.domain");
                case 2 -> version = readVarint(in, inner, "OperatorSetIdProto.version");
                default -> in.skipField(inner);
              }
            }
            in.popLimit(limit);
            opsets.put(domain, version);
          }
          default -> in.skipField(tag);
        }
      }
      if (graph == null) {
        throw new OnnxException(source + ": no graph (is this an ONNX model file?)");
      }
      String producer = (producerName + " " + producerVersion).trim();
      return new OnnxModel(source, irVersion, producer, opsets, graph);
    } catch (InvalidProtocolBufferException e) {
      throw new OnnxException(source + ": not a valid ONNX file (" + protobufProblem(e) + " near byte "
          + in.getTotalBytesRead() + ")", e);
    } catch (IOException e) {
      throw new OnnxException("cannot read " + source + ": " + e.getMessage(), e);
    }
  }

  private static String protobufProblem(InvalidProtocolBufferException e) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("input ended unexpectedly") || message.contains("truncated")) {
      return "truncated: a field runs past the end of the file or of its message";
    }
    if (message.contains("invalid wire type")) {
      return "invalid wire type";
    }
    if (message.contains("negative size")) {
      return "a length is negative";
    }
    int cut = message.indexOf(". ");
    return cut > 0 ? message.substring(0, cut) : message;
  }

  private OnnxModel.Graph graph(CodedInputStream in) throws IOException {
    String name = "";
    List<OnnxModel.Node> nodes = new ArrayList<>();
    Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
    List<OnnxModel.ValueInfo> inputs = new ArrayList<>();
    List<OnnxModel.ValueInfo> outputs = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> {
          int limit = enter(in, tag, "GraphProto.node");
          nodes.add(node(in));
          in.popLimit(limit);
        }
        case 2 -> name = readString(in, tag, "GraphProto.name");
        case 5 -> {
          int limit = enter(in, tag, "GraphProto.initializer");
          OnnxTensor tensor = tensor(in);
          in.popLimit(limit);
          if (initializers.put(tensor.name(), tensor) != null) {
            throw new OnnxException(source + ": two initializers are named '" + tensor.name() + "'");
          }
        }
        case 11 -> {
          int limit = enter(in, tag, "GraphProto.input");
          inputs.add(valueInfo(in));
          in.popLimit(limit);
        }
        case 12 -> {
          int limit = enter(in, tag, "GraphProto.output");
          outputs.add(valueInfo(in));
          in.popLimit(limit);
        }
        case 15 -> throw new OnnxException(source + ": sparse initializers are not supported");
        default -> in.skipField(tag);
      }
    }
    inputs.removeIf(input -> initializers.containsKey(input.name()));
    return new OnnxModel.Graph(name, List.copyOf(nodes), initializers, List.copyOf(inputs), List.copyOf(outputs));
  }

  private OnnxModel.Node node(CodedInputStream in) throws IOException {
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    String name = "";
    String opType = "";
    String domain = "";
    Map<String, OnnxModel.Attribute> attributes = new LinkedHashMap<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> inputs.add(readString(in, tag, "NodeProto.input"));
        case 2 -> outputs.add(readString(in, tag, "NodeProto.output"));
        case 3 -> name = readString(in, tag, "NodeProto.name");
        case 4 -> opType = readString(in, tag, "NodeProto.op_type");
        case 7 -> domain = readString(in, tag, "NodeProto.domain");
        case 5 -> {
          int limit = enter(in, tag, "NodeProto.attribute");
          OnnxModel.Attribute attribute = attribute(in);
          in.popLimit(limit);
          attributes.put(attribute.name(), attribute);
        }
        default -> in.skipField(tag);
      }
    }
    if (opType.isEmpty()) {
      throw new OnnxException(source + ": a node" + (name.isEmpty() ? "" : " '" + name + "'") + " has no op_type");
    }
    return new OnnxModel.Node(name, opType, domain, List.copyOf(inputs), List.copyOf(outputs), attributes);
  }

  private OnnxModel.Attribute attribute(CodedInputStream in) throws IOException {
    String name = "";
    long type = -1;
    float f = 0;
    long i = 0;
    String s = null;
    OnnxTensor t = null;
    List<Float> floats = new ArrayList<>();
    List<Long> ints = new ArrayList<>();
    List<String> strings = new ArrayList<>();
    // Files from before IR version 3 may leave the type out: infer it from the field that is present.
    OnnxModel.AttributeType inferred = OnnxModel.AttributeType.UNDEFINED;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> name = readString(in, tag, "AttributeProto.name");
        case 20 -> type = readVarint(in, tag, "AttributeProto.type");
        case 2 -> {
          expect(tag, WireFormat.WIRETYPE_FIXED32, "AttributeProto.f");
          f = in.readFloat();
          inferred = OnnxModel.AttributeType.FLOAT;
        }
        case 3 -> {
          i = readVarint(in, tag, "AttributeProto.i");
          inferred = OnnxModel.AttributeType.INT;
        }
        case 4 -> {
          s = readString(in, tag, "AttributeProto.s");
          inferred = OnnxModel.AttributeType.STRING;
        }
        case 5 -> {
          int limit = enter(in, tag, "AttributeProto.t");
          t = tensor(in);
          in.popLimit(limit);
          inferred = OnnxModel.AttributeType.TENSOR;
        }
        case 7 -> {
          readFloats(in, tag, "AttributeProto.floats", floats);
          inferred = OnnxModel.AttributeType.FLOATS;
        }
        case 8 -> {
          readVarints(in, tag, "AttributeProto.ints", ints);
          inferred = OnnxModel.AttributeType.INTS;
        }
        case 9 -> {
          strings.add(readString(in, tag, "AttributeProto.strings"));
          inferred = OnnxModel.AttributeType.STRINGS;
        }
        case 6 -> {
          // A subgraph (If/Loop/Scan body): rnnc supports none of those ops, so the body is not parsed.
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "AttributeProto.g");
          in.skipField(tag);
          inferred = OnnxModel.AttributeType.GRAPH;
        }
        default -> in.skipField(tag);
      }
    }
    OnnxModel.AttributeType kind = type >= 0 ? OnnxModel.AttributeType.of(type) : inferred;
    float[] floatArray = new float[floats.size()];
    for (int k = 0; k < floatArray.length; k++) {
      floatArray[k] = floats.get(k);
    }
    long[] intArray = ints.stream().mapToLong(Long::longValue).toArray();
    return new OnnxModel.Attribute(name, kind, f, i, s, t, floatArray, intArray, List.copyOf(strings));
  }

  private OnnxModel.ValueInfo valueInfo(CodedInputStream in) throws IOException {
    String name = "";
    int elementType = 0;
    List<Object> shape = null;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> name = readString(in, tag, "ValueInfoProto.name");
        case 2 -> {
          int typeLimit = enter(in, tag, "ValueInfoProto.type");
          int typeTag;
          while ((typeTag = in.readTag()) != 0) {
            if (WireFormat.getTagFieldNumber(typeTag) != 1) {
              in.skipField(typeTag);
              continue;
            }
            int tensorLimit = enter(in, typeTag, "TypeProto.tensor_type");
            int tensorTag;
            while ((tensorTag = in.readTag()) != 0) {
              switch (WireFormat.getTagFieldNumber(tensorTag)) {
                case 1 -> elementType = (int) readVarint(in, tensorTag, "TypeProto.Tensor.elem_type");
                case 2 -> {
                  int shapeLimit = enter(in, tensorTag, "TypeProto.Tensor.shape");
                  shape = shape(in);
                  in.popLimit(shapeLimit);
                }
                default -> in.skipField(tensorTag);
              }
            }
            in.popLimit(tensorLimit);
          }
          in.popLimit(typeLimit);
        }
        default -> in.skipField(tag);
      }
    }
    return new OnnxModel.ValueInfo(name, elementType, shape == null ? null : java.util.Collections.unmodifiableList(shape));
  }

  private List<Object> shape(CodedInputStream in) throws IOException {
    List<Object> dims = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (WireFormat.getTagFieldNumber(tag) != 1) {
        in.skipField(tag);
        continue;
      }
      int limit = enter(in, tag, "TensorShapeProto.dim");
      Object dim = null;
      int inner;
      while ((inner = in.readTag()) != 0) {
        switch (WireFormat.getTagFieldNumber(inner)) {
          case 1 -> dim = readVarint(in, inner, "TensorShapeProto.Dimension.dim_value");
          case 2 -> dim = readString(in, inner, "TensorShapeProto.Dimension.dim_param");
          default -> in.skipField(inner);
        }
      }
      in.popLimit(limit);
      dims.add(dim);
    }
    return dims;
  }

  private OnnxTensor tensor(CodedInputStream in) throws IOException {
    List<Long> dims = new ArrayList<>();
    int dataType = 0;
    String name = "";
    ByteBuffer raw = null;
    List<Float> floatData = new ArrayList<>();
    List<Long> longData = new ArrayList<>();
    List<Double> doubleData = new ArrayList<>();
    boolean typedLongs = false;
    Map<String, String> external = new LinkedHashMap<>();
    long dataLocation = 0;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> readVarints(in, tag, "TensorProto.dims", dims);
        case 2 -> dataType = (int) readVarint(in, tag, "TensorProto.data_type");
        case 8 -> name = readString(in, tag, "TensorProto.name");
        case 4 -> readFloats(in, tag, "TensorProto.float_data", floatData);
        case 5, 7 -> {
          // int32_data carries every type of 32 bits or less (int8, uint8, bool, int16, float16 bits); int64_data int64.
          readVarints(in, tag, WireFormat.getTagFieldNumber(tag) == 5 ? "TensorProto.int32_data"
              : "TensorProto.int64_data", longData);
          typedLongs = true;
        }
        case 10 -> readDoubles(in, tag, "TensorProto.double_data", doubleData);
        case 9 -> {
          expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, "TensorProto.raw_data");
          int length = in.readRawVarint32();
          if (length < 0 || length > in.getBytesUntilLimit()) {
            throw new OnnxException(source + ": tensor" + (name.isEmpty() ? "" : " '" + name + "'") + " raw_data claims "
                + Integer.toUnsignedString(length) + " bytes but only " + in.getBytesUntilLimit()
                + " remain in its message (truncated file?)");
          }
          int start = in.getTotalBytesRead();
          in.skipRawBytes(length);
          raw = ByteBuffer.wrap(bytes, start, length).slice();
        }
        case 13 -> {
          int limit = enter(in, tag, "TensorProto.external_data");
          String key = "";
          String value = "";
          int inner;
          while ((inner = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(inner)) {
              case 1 -> key = readString(in, inner, "StringStringEntryProto.key");
              case 2 -> value = readString(in, inner, "StringStringEntryProto.value");
              default -> in.skipField(inner);
            }
          }
          in.popLimit(limit);
          external.put(key, value);
        }
        case 14 -> dataLocation = readVarint(in, tag, "TensorProto.data_location");
        case 3 -> throw new OnnxException(source + ": tensor '" + name + "' is segmented; rnnc reads whole tensors only");
        default -> in.skipField(tag);
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    String label = "tensor '" + name + "'";
    int count = elementCount(label, shape);
    int width = OnnxTensor.elementSize(dataType);
    if (dataLocation == 1) {
      raw = externalData(label, external, dataType, count);
    } else if (dataLocation != 0) {
      throw new OnnxException(source + ": " + label + " has unknown data_location " + dataLocation);
    }
    if (raw != null) {
      if (width == 0) {
        // Types rnnc never computes with (strings, float16, ...) are kept only if nobody asks for their values.
        return new OnnxTensor(name, dataType, shape, count, null, null, null, null);
      }
      if ((long) count * width != raw.remaining()) {
        throw new OnnxException(source + ": " + label + " of " + OnnxTensor.typeName(dataType) + java.util.Arrays.toString(shape)
            + " needs " + (long) count * width + " bytes but carries " + raw.remaining());
      }
      return new OnnxTensor(name, dataType, shape, count, raw, null, null, null);
    }
    int carried = !floatData.isEmpty() ? floatData.size() : !doubleData.isEmpty() ? doubleData.size() : longData.size();
    if (carried != count) {
      throw new OnnxException(source + ": " + label + " of " + OnnxTensor.typeName(dataType) + java.util.Arrays.toString(shape)
          + " has " + count + " elements but carries " + carried + " values");
    }
    if (!floatData.isEmpty()) {
      float[] values = new float[count];
      for (int k = 0; k < count; k++) {
        values[k] = floatData.get(k);
      }
      return new OnnxTensor(name, dataType, shape, count, null, values, null, null);
    }
    if (!doubleData.isEmpty()) {
      return new OnnxTensor(name, dataType, shape, count, null, null, null,
          doubleData.stream().mapToDouble(Double::doubleValue).toArray());
    }
    return new OnnxTensor(name, dataType, shape, count, null, null,
        typedLongs || count == 0 ? longData.stream().mapToLong(Long::longValue).toArray() : new long[0], null);
  }

  /** The element count of {@code shape}, refused when a dimension is negative or the count exceeds a Java array. */
  private int elementCount(String label, long[] shape) {
    long count = 1;
    for (long dim : shape) {
      if (dim < 0) {
        throw new OnnxException(source + ": " + label + " has a negative dimension " + dim);
      }
      if (dim != 0 && count > (Integer.MAX_VALUE - 8) / dim) {
        throw new OnnxException(source + ": " + label + " of shape " + java.util.Arrays.toString(shape)
            + " has more elements than rnnc can hold (2^31)");
      }
      count *= dim;
    }
    return (int) count;
  }

  /**
   * Reads a tensor kept in a side file ({@code data_location = EXTERNAL}): {@code location} relative to the model's
   * directory (paths leaving it are refused), optional {@code offset} and {@code length}, all checked against the
   * side file's size before anything is allocated.
   */
  private ByteBuffer externalData(String label, Map<String, String> entries, int dataType, int count) {
    String location = entries.get("location");
    if (location == null || location.isEmpty()) {
      throw new OnnxException(source + ": " + label + " has external data without a 'location'");
    }
    if (directory == null) {
      throw new OnnxException(source + ": " + label + " has external data, but the model was not read from a file");
    }
    Path base = directory.toAbsolutePath().normalize();
    Path file;
    try {
      file = base.resolve(location).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new OnnxException(source + ": " + label + " has an invalid external data location '" + location + "'");
    }
    if (Path.of(location).isAbsolute() || !file.startsWith(base)) {
      throw new OnnxException(source + ": " + label + " has external data at '" + location
          + "', outside the model's directory; refused");
    }
    long offset = parseLong(label, entries, "offset", 0);
    int width = OnnxTensor.elementSize(dataType);
    if (width == 0) {
      throw new OnnxException(source + ": " + label + " has type " + OnnxTensor.typeName(dataType)
          + ", which rnnc cannot read from external data");
    }
    long needed = (long) count * width;
    long length = parseLong(label, entries, "length", needed);
    if (length != needed) {
      throw new OnnxException(source + ": " + label + " needs " + needed + " bytes but its external data length is "
          + length);
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (offset > size || length > size - offset) {
        throw new OnnxException(source + ": " + label + " external data [" + offset + ", " + (offset + length)
            + ") of '" + location + "' runs past its end (" + size + " bytes)");
      }
      ByteBuffer data = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
      while (data.hasRemaining()) {
        if (channel.read(data, offset + data.position()) < 0) {
          throw new OnnxException(source + ": " + label + " external data of '" + location + "' ends early");
        }
      }
      return data.flip();
    } catch (NoSuchFileException e) {
      throw new OnnxException(source + ": " + label + " external data file '" + location + "' does not exist");
    } catch (IOException e) {
      throw new OnnxException(source + ": cannot read external data '" + location + "': " + e.getMessage(), e);
    }
  }

  private long parseLong(String label, Map<String, String> entries, String key, long fallback) {
    String text = entries.get(key);
    if (text == null) {
      return fallback;
    }
    try {
      long value = Long.parseLong(text.trim());
      if (value < 0) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new OnnxException(source + ": " + label + " has external data " + key + " '" + text
          + "', not a non-negative integer");
    }
  }

  // ---- wire-level helpers: each checks the wire type of a known field before reading it ----

  private void expect(int tag, int wireType, String field) {
    int actual = WireFormat.getTagWireType(tag);
    if (actual != wireType) {
      throw new OnnxException(source + ": not a valid ONNX file (" + field + " has wire type " + actual + ", expected "
          + wireType + ")");
    }
  }

  private long readVarint(CodedInputStream in, int tag, String field) throws IOException {
    expect(tag, WireFormat.WIRETYPE_VARINT, field);
    return in.readInt64();
  }

  private String readString(CodedInputStream in, int tag, String field) throws IOException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, field);
    return in.readString();
  }

  /** Enters a nested message: checks the wire type and pushes its length as the limit; returns the old limit. */
  private int enter(CodedInputStream in, int tag, String field) throws IOException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, field);
    int length = in.readRawVarint32();
    return in.pushLimit(length);
  }

  /** A repeated varint field, packed or not. */
  private void readVarints(CodedInputStream in, int tag, String field, List<Long> into) throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int limit = in.pushLimit(in.readRawVarint32());
      while (in.getBytesUntilLimit() > 0) {
        into.add(in.readInt64());
      }
      in.popLimit(limit);
    } else {
      into.add(readVarint(in, tag, field));
    }
  }

  private void readFloats(CodedInputStream in, int tag, String field, List<Float> into) throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int limit = in.pushLimit(in.readRawVarint32());
      while (in.getBytesUntilLimit() > 0) {
        into.add(in.readFloat());
      }
      in.popLimit(limit);
    } else {
      expect(tag, WireFormat.WIRETYPE_FIXED32, field);
      into.add(in.readFloat());
    }
  }

  private void readDoubles(CodedInputStream in, int tag, String field, List<Double> into) throws IOException {
    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int limit = in.pushLimit(in.readRawVarint32());
      while (in.getBytesUntilLimit() > 0) {
        into.add(in.readDouble());
      }
      in.popLimit(limit);
    } else {
      expect(tag, WireFormat.WIRETYPE_FIXED64, field);
      into.add(in.readDouble());
    }
  }
}
