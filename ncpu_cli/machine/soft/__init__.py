"""The soft (differentiable) executor: decode (build_control), ALU, addressing, the
pure step and the machine. See machine/README.md."""
