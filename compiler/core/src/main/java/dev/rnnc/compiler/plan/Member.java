package dev.rnnc.compiler.plan;

/**
 * The generated members that exist once per layer run: its methods, its packed weight arrays and its
 * gradient arrays. {@link ModelPlan} allocates every one of them (with JavaPoet's {@code NameAllocator}) as
 * {@code prefix + run suffix}, e.g. {@code ihL0}, {@code stepPairL1Reverse}.
 */
public enum Member {
  // methods of the forward pass
  RUN("run"), CELL("cell"), CELL_PAIR("cellPair"), CELL_QUAD("cellQuad"),
  STEP_ONE("stepOne"), STEP_PAIR("stepPair"), STEP_QUAD("stepQuad"),
  // methods of the backward pass
  BACK("back"), BACK_ONE("backOne"), BACK_PAIR("backPair"), BACK_QUAD("backQuad"),
  // packed weights (fields of the generated Weights class)
  IH("ih"), IH_N("ihN"), IH_ROWS("ihRows"), IH_BIAS("ihBias"), HH("hh"), HH_T("hhT"), HH_RZ("hhRz"), HH_RZ_T("hhRzT"),
  HH_N("hhN"), HH_N_T("hhNT"), BHN("bhn"), STEP_FUSED("step"), STEP_UNITS("stepUnits"),
  STEP_UNITS_BIAS("stepUnitsBias"), STEP_UNITS_PEEP("stepUnitsPeep"), HR("hr"), HR_T("hrT"), PEEP("peep"),
  // gradient views of the gradients' ModelParameters
  GRAD_WIH("gradWih"), GRAD_WHH("gradWhh"), GRAD_BIH("gradBih"), GRAD_BHH("gradBhh"), GRAD_WHR("gradWhr"),
  GRAD_WPH("gradWph");

  private final String prefix;

  Member(String prefix) {
    this.prefix = prefix;
  }

  public String prefix() {
    return prefix;
  }
}
