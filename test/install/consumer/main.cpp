// A program built against an installed s2t (test/install/install.test):
// converts a textual graph through <s2t/s2t.h> only, prints the flat graph,
// the report and the flat module's result, saves the archive, and shows how
// an error arrives.
// Usage: consumer GRAPH.ir SPEC OUT.pt
#include <s2t/s2t.h>

#include <torch/script.h>

#include <iostream>

int main(int argc, char **argv) {
  if (argc != 4) {
    std::cerr << "usage: consumer GRAPH.ir SPEC OUT.pt\n";
    return 2;
  }
  try {
    s2t::Model model = s2t::Model::load(argv[1]);
    std::vector<c10::IValue> arguments = model.parseSamples({argv[2]});
    s2t::Conversion flat = s2t::convert(model, arguments);
    std::cout << *flat.graph();
    for (const s2t::DecisionReport &d : flat.report().decisions)
      std::cout << "decision: " << d.kind << " " << d.category << " outcome "
                << d.outcome << "\n";
    torch::jit::Module module = flat.module();
    at::Tensor result = module.forward(arguments).toTensor();
    std::cout << "flat(sample) =";
    for (int64_t i = 0; i < result.numel(); ++i)
      std::cout << " " << result[i].item<float>();
    std::cout << "\n";
    flat.save(argv[3]);
    s2t::convert(model, model.parseSamples({"y=1"}));
  } catch (const s2t::Error &e) {
    std::cout << "error: " << e.what() << " (exit code " << e.exitCode()
              << ")\n";
  }
  return 0;
}
