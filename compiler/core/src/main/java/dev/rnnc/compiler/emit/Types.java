package dev.rnnc.compiler.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;

/** Type names the emitters refer to. */
final class Types {
  private Types() {}

  static final String RUNTIME = "dev.rnnc.runtime";
  static final String VECTOR = "jdk.incubator.vector";

  static final ClassName MODEL_CONFIG = ClassName.get(RUNTIME, "ModelConfig");
  static final ClassName MODEL_PARAMETERS = ClassName.get(RUNTIME, "ModelParameters");
  static final ClassName RNN_MODEL = ClassName.get(RUNTIME, "RnnModel");
  static final ClassName STREAMING_MODEL = ClassName.get(RUNTIME, "StreamingModel");
  static final ClassName TRAINABLE_MODEL = ClassName.get(RUNTIME, "TrainableModel");
  static final ClassName BATCH = ClassName.get(RUNTIME, "Batch");
  static final ClassName PACKING = ClassName.get(RUNTIME, "Packing");
  static final ClassName PACKED_WEIGHTS = ClassName.get(RUNTIME, "PackedWeights");
  static final ClassName MEMORY_SEGMENT = ClassName.get("java.lang.foreign", "MemorySegment");
  static final ClassName BYTE_ORDER = ClassName.get("java.nio", "ByteOrder");
  static final ClassName MEMORY_BUDGET = ClassName.get(RUNTIME, "MemoryBudget");
  static final ClassName VECTOR_SUPPORT = ClassName.get(RUNTIME, "VectorSupport");
  static final ClassName LOSSES = ClassName.get(RUNTIME, "Losses");
  static final ClassName DROPOUT_MASK = ClassName.get(RUNTIME, "DropoutMask");
  static final ClassName STREAM_BANK = ClassName.get(RUNTIME + ".stream", "StreamBank");
  static final ClassName ABSTRACT_STREAM_BANK = ClassName.get(RUNTIME + ".stream", "AbstractStreamBank");

  static final ClassName FLOAT_VECTOR = ClassName.get(VECTOR, "FloatVector");
  static final ClassName VECTOR_OPERATORS = ClassName.get(VECTOR, "VectorOperators");
  static final ClassName INT_VECTOR = ClassName.get(VECTOR, "IntVector");
  static final ClassName SHORT_VECTOR = ClassName.get(VECTOR, "ShortVector");
  static final ClassName VECTOR_SPECIES = ClassName.get(VECTOR, "VectorSpecies");
  static final ClassName VECTOR_SHAPE = ClassName.get(VECTOR, "VectorShape");
  static final TypeName FLOAT_SPECIES =
      ParameterizedTypeName.get(ClassName.get(VECTOR, "VectorSpecies"), ClassName.get(Float.class));

  static final TypeName FLOATS = TypeName.get(float[].class);
  static final TypeName INTS = TypeName.get(int[].class);
}
