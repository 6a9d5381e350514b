# lit configuration of Spore's FileCheck tests.
import os
import lit.formats

config.name = "Spore"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.spore_obj_root, "test")
# Python files under these folders are helpers or ctest-driven, not lit tests.
config.excludes = ["e2e", "unit", "package", "fuzz", "lit.cfg.py", "Inputs"]

config.environment["PATH"] = os.pathsep.join(
    [config.spore_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%spore_src", config.spore_src_root))
