//===- io/ArchiveSource.cpp - Checks an archive's code before LibTorch does ---===//
//
// Walks the top-level definitions of one code/ record the way LibTorch's
// SourceImporter does (an optional `op_version_set = N` line, `import`
// lines, then `class` and `def`), and checks each class body for the shapes
// the importer assumes without checking (see the header). Anything the
// importer itself rejects with an exception is left to it.
//
//===----------------------------------------------------------------------===//
#include "io/ArchiveSource.h"

#include "ir/Error.h"
#include "ir/SourceLocation.h"

#include <torch/csrc/jit/frontend/lexer.h>
#include <torch/csrc/jit/frontend/parser.h>
#include <torch/csrc/jit/frontend/tree_views.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/source_range_serialization.h>

#include <optional>
#include <set>

namespace s2t {

using namespace torch::jit;

namespace {

[[noreturn]] void reject(const SourceRange &range, const std::string &what) {
  conversionError(sourceLocation(range) + ": " + what);
}

/// The name of a single-target assignment `NAME ... = ...`, if it is one.
std::optional<std::string> assignedName(const Assign &assign) {
  if (assign.lhs_list().size() != 1 || assign.lhs().kind() != TK_VAR)
    return std::nullopt;
  return Var(assign.lhs()).name().name();
}

/// The string literals of `[ "a", "b", ]`, or nothing when the expression is
/// something else (the importer throws on that itself).
std::optional<std::vector<std::string>> stringList(const Expr &expr) {
  if (expr.kind() != TK_LIST_LITERAL)
    return std::nullopt;
  std::vector<std::string> names;
  for (const Expr &element : ListLiteral(expr).inputs()) {
    if (element.kind() != TK_STRINGLITERAL)
      return std::nullopt;
    names.push_back(StringLiteral(element).text());
  }
  return names;
}

/// A module or plain class: constants need their type, hooks their def.
void checkClassBody(const ClassDef &classDef) {
  const std::string className = classDef.name().name();
  std::set<std::string> defs;
  for (const Stmt &statement : classDef.body())
    if (statement.kind() == TK_DEF)
      defs.insert(Def(statement).name().name());
  for (const Stmt &statement : classDef.body()) {
    if (statement.kind() != TK_ASSIGN)
      continue;
    Assign assign(statement);
    std::optional<std::string> name = assignedName(assign);
    if (!name || *name == "__parameters__" || *name == "__buffers__" ||
        *name == "__annotations__")
      continue;
    if (*name == "__forward_hooks__" || *name == "__forward_pre_hooks__") {
      if (!assign.rhs().present())
        continue;
      if (auto hooks = stringList(assign.rhs().get()))
        for (const std::string &hook : *hooks)
          if (!defs.count(hook))
            reject(assign.range(), "class '" + className + "' lists hook '" +
                                       hook + "' in " + *name +
                                       " but defines no method of that name");
      continue;
    }
    if (assign.rhs().present() && !assign.type().present())
      reject(assign.range(),
             "class '" + className + "' assigns '" + *name +
                 "' without a type; a class constant is saved as '" + *name +
                 " : Final[T] = VALUE'");
  }
}

/// NamedTuple fields are `name : T` or `name : T = DEFAULT`; Enum members
/// are `NAME = VALUE`. Refuses the first assignment without the part the
/// importer reads (`typed`: the type, else the value).
void checkEachAssignHas(const ClassDef &classDef, bool typed,
                        const std::string &what) {
  for (const Stmt &statement : classDef.body()) {
    if (statement.kind() != TK_ASSIGN)
      continue;
    Assign assign(statement);
    if (!(typed ? assign.type().present() : assign.rhs().present()))
      reject(assign.range(), what);
  }
}

void checkClass(const ClassDef &classDef) {
  std::string base;
  if (classDef.superclass().present()) {
    Expr superclass = classDef.superclass().get();
    if (superclass.kind() != TK_VAR)
      return; // the importer rejects it
    base = Var(superclass).name().name();
  }
  if (base.empty() || base == "Module")
    checkClassBody(classDef);
  else if (base == "NamedTuple")
    checkEachAssignHas(classDef, /*typed=*/true,
                       "NamedTuple '" + classDef.name().name() +
                           "' has a field without a type");
  else if (base == "Enum")
    checkEachAssignHas(classDef, /*typed=*/false,
                       "Enum '" + classDef.name().name() +
                           "' has a member without a value");
}

/// Skips the rest of the current line (`import ...`, `op_version_set = N`).
void skipLine(Lexer &lexer) {
  while (lexer.cur().kind != TK_NEWLINE && lexer.cur().kind != TK_EOF)
    lexer.next();
  lexer.nextIf(TK_NEWLINE);
}

[[noreturn]] void corruptDebugInfo(const std::string &recordName,
                                   const std::string &what) {
  conversionError(recordName + ": corrupt debug information (" + what + ")");
}

/// The checks of checkArchiveDebugInfo, on the unpickled record.
void checkDebugInfo(const std::string &recordName, const c10::IValue &value) {
  if (!value.isTuple())
    corruptDebugInfo(recordName, "not a tuple");
  const auto &top = value.toTupleRef().elements();
  // Either (FORMAT_WITH_STRING_TABLE, (texts...), (records...)) or the
  // records themselves, each source then holding its own text.
  std::vector<std::string> table;
  const c10::IValue *records = &value;
  bool withTable = !top.empty() && top[0].isString() &&
                   top[0].toStringRef() == std::string(kFormatWithStringTable);
  if (withTable) {
    if (top.size() != 3 || !top[1].isTuple() || !top[2].isTuple())
      corruptDebugInfo(recordName, "a string-table header that is not (format, texts, records)");
    for (const c10::IValue &text : top[1].toTupleRef().elements()) {
      if (!text.isString())
        corruptDebugInfo(recordName, "a string table entry that is not a string");
      table.push_back(text.toStringRef());
    }
    records = &top[2];
  }
  auto index = [&](const c10::IValue &value) -> const std::string & {
    if (!value.isInt() || value.toInt() < 0 ||
        static_cast<uint64_t>(value.toInt()) >= table.size())
      corruptDebugInfo(recordName, "a string table index out of range");
    return table[static_cast<size_t>(value.toInt())];
  };
  for (const c10::IValue &record : records->toTupleRef().elements()) {
    // (byte offset, (source, start, end)[, tag])
    if (!record.isTuple() || record.toTupleRef().elements().size() < 2)
      corruptDebugInfo(recordName, "a record that is not (offset, range, ...)");
    const auto &fields = record.toTupleRef().elements();
    if (!fields[kByteOffsetIndex].isInt() ||
        !fields[kSourceRangeIndex].isTuple() ||
        fields[kSourceRangeIndex].toTupleRef().elements().size() != 3)
      corruptDebugInfo(recordName, "a record that is not (offset, range, ...)");
    const auto &range = fields[kSourceRangeIndex].toTupleRef().elements();
    if (!range[0].isTuple() || range[0].toTupleRef().elements().size() != 3 ||
        !range[1].isInt() || !range[2].isInt())
      corruptDebugInfo(recordName, "a range that is not (source, start, end)");
    // LibTorch checks a range against its text itself; the indices into
    // the string table it does not check.
    const auto &source = range[0].toTupleRef().elements();
    if (withTable) {
      if (!source[0].isIntList() || !source[2].isInt())
        corruptDebugInfo(recordName, "a source that is not (lines, file, line)");
      for (int64_t line : source[0].toIntVector())
        index(c10::IValue(line));
      index(source[1]);
    } else if (!source[0].isString() ||
               !(source[1].isNone() || source[1].isString()) ||
               !source[2].isInt()) {
      corruptDebugInfo(recordName, "a source that is not (text, file, line)");
    }
  }
}

} // namespace

void checkArchiveDebugInfo(const std::string &recordName,
                           const std::string &bytes) {
  c10::IValue value;
  try {
    value = torch::jit::unpickle(bytes.data(), bytes.size());
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    corruptDebugInfo(recordName, firstMessageLine(e.what()));
  }
  checkDebugInfo(recordName, value);
}

bool isArchiveSource(const std::string &recordName) {
  return recordName.rfind("code/", 0) == 0 && recordName.size() > 3 &&
         recordName.compare(recordName.size() - 3, 3, ".py") == 0;
}

void checkArchiveSource(const std::string &recordName, const std::string &text) {
  std::vector<ClassDef> classes;
  try {
    Parser parser(std::make_shared<Source>(text, recordName, 1));
    Lexer &lexer = parser.lexer();
    while (lexer.cur().kind != TK_EOF) {
      Token &token = lexer.cur();
      if (token.kind == TK_IMPORT ||
          (token.kind == TK_IDENT && token.text() == "op_version_set")) {
        skipLine(lexer);
      } else if (token.kind == TK_CLASS_DEF) {
        classes.emplace_back(parser.parseClass());
      } else if (token.kind == TK_DEF) {
        parser.parseFunction(/*is_method=*/false);
      } else {
        break; // the importer rejects it
      }
    }
  } catch (const std::exception &) {
    // Source that does not parse: torch::jit::load reports it (only if it
    // needs this record, as it parses records on demand).
  }
  for (const ClassDef &classDef : classes)
    checkClass(classDef);
}

} // namespace s2t
