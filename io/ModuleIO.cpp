//===- io/ModuleIO.cpp - Reading models, making the flat module ----------===//
//
// Loading checks an archive's records before LibTorch trusts them (pickles,
// code and debug information beside LibTorch's load, which reads each once
// its check has passed: io/ArchiveChecks.h; tensor storage sizes after); a textual
// graph is parsed. The flat module is made on a copy of the program's module,
// so that the program stays as it was loaded.
//
//===----------------------------------------------------------------------===//

#include "io/ModuleIO.h"

#include "io/ArchiveChecks.h"
#include "io/OperatorLibraries.h"
#include "io/TorchSave.h"
#include "ir/Error.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/serialization/import.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace s2t {

using namespace torch::jit;

namespace {

/// What a file that is not a regular file is, for messages.
std::string describeFileType(mode_t mode) {
  if (S_ISDIR(mode))
    return "it is a directory";
  if (S_ISFIFO(mode))
    return "it is a FIFO, not a regular file";
  if (S_ISCHR(mode))
    return "it is a character device, not a regular file";
  if (S_ISBLK(mode))
    return "it is a block device, not a regular file";
  if (S_ISSOCK(mode))
    return "it is a socket, not a regular file";
  return "it is not a regular file";
}

} // namespace

InputFile::InputFile(const std::string &path, ErrorKind kind,
                     const std::string &context)
    : path_(path), kind_(kind), context_(context) {
  // O_NONBLOCK: opening a FIFO would wait for a writer. Nothing is read
  // before fstat says it is a regular file, for which the flag does nothing.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0)
    throw Error(kind,
                context + ": " +
                    (errno == ENOENT ? "no such file" : std::strerror(errno)));
  struct stat status;
  if (::fstat(fd_, &status) != 0 || !S_ISREG(status.st_mode)) {
    std::string why = describeFileType(status.st_mode);
    ::close(fd_);
    throw Error(kind, context + ": " + why);
  }
  size_ = static_cast<uint64_t>(status.st_size);
}

InputFile::~InputFile() { ::close(fd_); }

size_t InputFile::readAt(uint64_t offset, void *buffer, size_t n) const {
  if (offset >= size_)
    return 0;
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd_, static_cast<char *>(buffer) + done, n - done,
                          static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      throw Error(kind_, context_ + ": " + std::strerror(errno));
    if (got == 0) // the file shrank since it was opened
      break;
    done += static_cast<size_t>(got);
  }
  return done;
}

std::string InputFile::read(uint64_t limit) const {
  std::string contents(static_cast<size_t>(std::min(limit, size_)), '\0');
  contents.resize(readAt(0, &contents[0], contents.size()));
  return contents;
}

namespace {

/// `x.1` -> `x`: the argument name a user writes for a textual graph input.
std::string argumentName(const Value *value, size_t index) {
  if (!value->hasDebugName())
    return "arg" + std::to_string(index);
  std::string name = value->debugName();
  size_t dot = name.rfind('.');
  if (dot != std::string::npos && dot + 1 < name.size() &&
      name.find_first_not_of("0123456789", dot + 1) == std::string::npos)
    name.resize(dot);
  return name;
}

Program loadTextualGraph(const std::string &path, const std::string &text) {
  Program program;
  program.path = path;
  program.method = "forward";
  program.graph = std::make_shared<Graph>();
  try {
    parseIR(text, program.graph.get());
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    conversionError("'" + path + "' is not a valid textual graph: " +
                    firstMessageLine(e.what()));
  }
  std::vector<c10::Argument> arguments;
  for (size_t i = 0; i < program.graph->inputs().size(); ++i) {
    const Value *input = program.graph->inputs()[i];
    if (input->type()->kind() == c10::TypeKind::ClassType)
      conversionError("'" + path + "': a textual graph cannot take an object ('" +
                      input->debugName() + "'); convert the archive instead");
    arguments.emplace_back(argumentName(input, i), input->type());
  }
  std::vector<c10::Argument> returns;
  for (const Value *output : program.graph->outputs())
    returns.emplace_back("", output->type());
  program.schema = c10::FunctionSchema("forward", "", std::move(arguments),
                                       std::move(returns));
  return program;
}

/// Reads the debug information (the `.debug_pkl` records) of every node of
/// every function of the module. torch reads it lazily, at the first message
/// or graph print that needs a node's original source location, and throws
/// c10::Error there if a record is corrupt; read here, that is a load error.
void readSourceRanges(const Module &module) {
  std::function<void(const Block *)> readBlock = [&](const Block *block) {
    for (const Node *node : block->nodes()) {
      node->sourceRange().findSourceRangeThatGenerated();
      for (const Block *inner : node->blocks())
        readBlock(inner);
    }
  };
  for (Function *function :
       module._ivalue()->compilation_unit()->get_functions())
    if (GraphFunction *graphFunction = tryToGraphFunction(*function))
      readBlock(graphFunction->graph()->block());
}

/// An archive's file, for caffe2's zip reader, remembering where each read
/// went: the reader reads a stored record in one call, into the buffer that
/// becomes a tensor's storage, so this gives each storage's record size.
/// With `checks`, a read first waits for the checks of the records it reads
/// and gives nothing if one failed (ArchiveChecks::awaitRead).
class ArchiveFile final : public caffe2::serialize::ReadAdapterInterface {
public:
  explicit ArchiveFile(std::shared_ptr<const InputFile> file,
                       ArchiveChecks *checks = nullptr)
      : file_(std::move(file)), checks_(checks) {}
  size_t size() const override { return file_->size(); }
  size_t read(uint64_t pos, void *buffer, size_t n,
              const char * /*what*/) const override {
    if (checks_ && !checks_->awaitRead(pos, n))
      return 0;
    size_t done = file_->readAt(pos, buffer, n);
    reads_[buffer] = done;
    return done;
  }
  const RecordSizes &reads() const { return reads_; }

private:
  std::shared_ptr<const InputFile> file_;
  ArchiveChecks *checks_;
  mutable RecordSizes reads_;
};

/// checkTensorStorage for every tensor of the module: its attributes,
/// parameters and buffers, and the constants of its code (constants.pkl).
void checkModuleTensors(const Module &module, const RecordSizes &records) {
  auto check = [&](const at::Tensor &tensor, const std::string &where) {
    checkTensorStorage(tensor, "tensor '" + where + "'", records);
  };
  forEachTensor(module._ivalue(), "self", check);
  for (Function *function :
       module._ivalue()->compilation_unit()->get_functions()) {
    GraphFunction *graphFunction = tryToGraphFunction(*function);
    if (!graphFunction)
      continue;
    std::function<void(const Block *)> visitBlock = [&](const Block *block) {
      for (const Node *node : block->nodes()) {
        if (node->kind() == prim::Constant && node->hasAttribute(attr::value) &&
            node->kindOf(attr::value) == AttributeKind::t)
          check(node->t(attr::value),
                "constant of " + function->qualname().qualifiedName());
        for (const Block *inner : node->blocks())
          visitBlock(inner);
      }
    };
    visitBlock(graphFunction->graph()->block());
  }
}

Program loadArchive(const std::shared_ptr<const InputFile> &input,
                    const std::string &path, const std::string &method) {
  Program program;
  program.path = path;
  program.method = method;
  try {
    // The checks run beside the load; LibTorch reads a record once its
    // check has passed. Where the load fails, a failed check is the reason.
    ArchiveChecks checks(std::make_shared<ArchiveFile>(input));
    auto file = std::make_shared<ArchiveFile>(input, &checks);
    try {
      program.module = std::make_shared<Module>(torch::jit::load(file));
    } catch (const std::exception &) {
      checks.finish();
      throw;
    }
    checks.finish();
    checkModuleTensors(*program.module, file->reads());
    readSourceRanges(*program.module);
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    std::string why = firstMessageLine(e.what());
    conversionError("cannot load '" + path + "' as a TorchScript archive: " +
                    why + loadHintFor(e.what()));
  }
  auto found = program.module->find_method(method);
  if (!found) {
    std::string available;
    for (const auto &candidate : program.module->get_methods())
      available += (available.empty() ? "" : ", ") + candidate.name();
    conversionError("'" + path + "' has no method '" + method +
                    "' (it has: " + (available.empty() ? "none" : available) +
                    ")");
  }
  program.graph = toGraphFunction(found->function()).graph();
  program.schema = found->function().getSchema();
  return program;
}

/// `schema` with the argument types of the flat graph: an Optional argument
/// given a sample is typed by it, as a trace types it. Such an argument loses
/// its default (a None the flat graph cannot take), and so do the positional
/// arguments before it, which a default may not precede.
c10::FunctionSchema schemaOfFlatGraph(const c10::FunctionSchema &schema,
                                      const Graph &flat) {
  std::vector<c10::Argument> arguments = schema.arguments();
  bool dropDefaults = false;
  for (size_t i = arguments.size(); i-- > 0;) {
    const c10::Argument &argument = arguments[i];
    const c10::TypePtr &type = flat.inputs()[i]->type();
    bool retyped = *type != *argument.type();
    dropDefaults |= retyped && !argument.kwarg_only();
    if (!retyped && !(dropDefaults && argument.default_value()))
      continue;
    bool keepDefault = !retyped && argument.kwarg_only();
    arguments[i] = c10::Argument(
        argument.name(), type, argument.N(),
        keepDefault ? argument.default_value() : c10::nullopt,
        argument.kwarg_only());
  }
  return schema.cloneWithArguments(std::move(arguments));
}

} // namespace

Program loadProgram(const std::string &path, const std::string &method) {
  auto file = std::make_shared<const InputFile>(path, ErrorKind::Conversion,
                                                "cannot open '" + path + "'");
  std::string magic = file->read(4);
  if (magic.empty())
    conversionError("'" + path + "' is empty");
  if (magic == "PK\x03\x04")
    return loadArchive(file, path, method);
  std::string contents = file->read();
  size_t start = contents.find_first_not_of(" \t\r\n");
  // Skip '#' comment lines (lit RUN/CHECK lines) before looking for "graph(".
  while (start != std::string::npos && contents[start] == '#') {
    size_t end = contents.find('\n', start);
    start = end == std::string::npos
                ? end
                : contents.find_first_not_of(" \t\r\n", end);
  }
  if (start != std::string::npos && contents.compare(start, 6, "graph(") == 0) {
    if (method != "forward")
      usageError(option("method", method) + " does not apply to '" + path +
                 "': a textual graph is one graph");
    return loadTextualGraph(path, contents);
  }
  conversionError("'" + path +
                  "' is neither a TorchScript archive nor a textual graph");
}

namespace {

/// Adds to `remap` each module type of `original`'s tree and the type of the
/// module in the same place of `copy`, a clone of it (Module::clone gives
/// every module type a new one, and keeps no table of them).
void mapModuleTypes(const Module &original, const Module &copy,
                    std::unordered_map<c10::TypePtr, c10::TypePtr> &remap) {
  remap[original.type()] = copy.type();
  auto copies = copy.named_children();
  auto next = copies.begin();
  for (const NameModule &child : original.named_children()) {
    TORCH_INTERNAL_ASSERT(next != copies.end() && (*next).name == child.name,
                          "a clone has the modules of its original");
    mapModuleTypes(child.value, (*next).value, remap);
    ++next;
  }
}

/// A stand-in for `object` and the modules below it: new objects of the
/// same types holding the same values, whose compilation unit is `unit`.
c10::intrusive_ptr<c10::ivalue::Object>
standIn(const c10::intrusive_ptr<c10::ivalue::Object> &object,
        const std::shared_ptr<CompilationUnit> &unit) {
  size_t slots = object->slots().size();
  auto copy = c10::ivalue::Object::create(
      c10::StrongTypePtr(unit, object->type()), slots);
  for (size_t i = 0; i < slots; ++i) {
    const c10::IValue &value = object->getSlot(i);
    bool module = value.isObject() && value.toObject()->type()->is_module();
    copy->setSlot(i, module ? c10::IValue(standIn(value.toObject(), unit))
                            : value);
  }
  return copy;
}

} // namespace

Module copyKeepingNames(const Module &module) {
  return Module(standIn(module._ivalue(), std::make_shared<CompilationUnit>()))
      .clone(/*inplace=*/true);
}

namespace {

/// A copy of `program`'s module that shares its tensors and whose methods
/// and types are its own, so that changing it leaves `program` alone; and
/// `remap`, which takes a graph of `program` to the copy's types.
/// Module::clone gives each type of the copy the name of the original, in
/// the compilation unit of the module it clones, mangled if that unit has
/// the name already (`__torch__.___torch_mangle_0.M`); cloning a stand-in in
/// an empty unit keeps the names, so that every save writes the same archive.
Module copyModule(const Program &program,
                  std::function<c10::TypePtr(c10::TypePtr)> &remap) {
  Module copy = copyKeepingNames(*program.module);
  auto types =
      std::make_shared<std::unordered_map<c10::TypePtr, c10::TypePtr>>();
  mapModuleTypes(*program.module, copy, *types);
  remap = [types](c10::TypePtr type) {
    auto found = types->find(type);
    return found == types->end() ? type : found->second;
  };
  return copy;
}

/// `graph` copied, with the types of `remap`.
std::shared_ptr<Graph>
remappedCopy(const std::shared_ptr<Graph> &graph,
             const std::function<c10::TypePtr(c10::TypePtr)> &remap) {
  std::shared_ptr<Graph> copy = graph->copy();
  copy->remapTypes(remap);
  return copy;
}

/// Adds to `module` the method `name` computing `graph`, unless it has one.
void addMethod(Module &module, const std::string &name,
               const std::shared_ptr<Graph> &graph) {
  if (module.type()->findMethod(name))
    return;
  auto *function = module._ivalue()->compilation_unit()->create_function(
      c10::QualifiedName(*module.type()->name(), name), graph);
  module.type()->addMethod(function);
}

/// Makes `graph` the graph of `module`'s method `name`, in that method's place
/// among its type's methods (the order an archive prints them in), with
/// `schema`. The graph is not copied.
void replaceMethod(Module &module, const std::string &name,
                   std::shared_ptr<Graph> graph, c10::FunctionSchema schema) {
  const c10::ClassTypePtr &type = module.type();
  CompilationUnit &unit = *module._ivalue()->compilation_unit();
  std::vector<Function *> methods = type->methods();
  for (Function *method : methods)
    type->unsafeRemoveMethod(method->name());
  for (Function *method : methods) {
    if (method->name() == name) {
      c10::QualifiedName qualifiedName = method->qualname();
      unit.unsafeRemoveMethod(qualifiedName); // destroys `method`
      method = unit.create_function(std::move(qualifiedName), graph);
      method->setSchema(schema);
    }
    type->addMethod(method);
  }
}

/// `program`'s module, copied, its method computing `flat`, which becomes
/// that method's graph (it may hold a million nodes: it is not copied) and
/// takes the copy's types; the scripted method kept as `fallbackMethod` if
/// that is not empty.
Module flatCopyOfModule(const Program &program, std::shared_ptr<Graph> flat,
                        const std::string &fallbackMethod) {
  std::function<c10::TypePtr(c10::TypePtr)> remap;
  Module module = copyModule(program, remap);
  if (!fallbackMethod.empty())
    addMethod(module, fallbackMethod, remappedCopy(program.graph, remap));
  flat->remapTypes(remap);
  c10::FunctionSchema schema = schemaOfFlatGraph(
      module.get_method(program.method).function().getSchema(), *flat);
  replaceMethod(module, program.method, std::move(flat), std::move(schema));
  return module;
}

/// A module of its own whose forward computes `flat`, a textual graph's.
Module moduleOfGraph(const std::shared_ptr<Graph> &flat) {
  Module module(c10::QualifiedName("__torch__.s2t.FlatGraph"));
  std::shared_ptr<Graph> graph = flat->copy();
  graph->insertInput(0, "self")->setType(module.type());
  addMethod(module, "forward", graph);
  return module;
}

/// `module` in eval mode, frozen: parameters and attributes folded into
/// constants. Keeps `fallbackMethod` if it is not empty.
Module frozen(Module module, const std::string &fallbackMethod) {
  try {
    module.eval();
    std::vector<std::string> preserved;
    if (!fallbackMethod.empty())
      preserved.push_back(fallbackMethod);
    return freeze_module(module, preserved);
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    conversionError("cannot freeze the module: " + firstMessageLine(e.what()));
  }
}

/// makeFlatModule or makeFlatModuleTaking: `flat` given to the module's
/// method as it is (`take`) or copied. A module to be frozen gets a copy:
/// freezing clones it, and `flat` would be left typed by a module that is
/// gone.
Module flatModule(const Program &program, const std::shared_ptr<Graph> &flat,
                  bool take, bool freeze, const std::string &fallbackMethod) {
  if (!fallbackMethod.empty() && !program.module)
    usageError(option("guards", "fallback") +
               " needs an archive: a textual graph has no "
               "scripted method to fall back to");
  bool copy = !take || freeze;
  Module module = program.module
                      ? flatCopyOfModule(program, copy ? flat->copy() : flat,
                                         fallbackMethod)
                      : moduleOfGraph(flat);
  return freeze ? frozen(std::move(module), fallbackMethod) : module;
}

} // namespace

Module makeFlatModule(const Program &program,
                      const std::shared_ptr<Graph> &flat, bool freeze,
                      const std::string &fallbackMethod) {
  return flatModule(program, flat, /*take=*/false, freeze, fallbackMethod);
}

Module makeFlatModuleTaking(const Program &program,
                            const std::shared_ptr<Graph> &flat, bool freeze,
                            const std::string &fallbackMethod) {
  return flatModule(program, flat, /*take=*/true, freeze, fallbackMethod);
}

void saveFlatArchive(const Program &program, const std::shared_ptr<Graph> &flat,
                     std::ostream &out, bool freeze,
                     const std::string &fallbackMethod) {
  Module module = makeFlatModule(program, flat, freeze, fallbackMethod);
  module.save(out);
  if (!out.flush())
    conversionError("cannot write the archive to the output stream");
}

} // namespace s2t
