package dev.rnnc.compiler;
