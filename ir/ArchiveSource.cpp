//===- ir/ArchiveSource.cpp - Checks an archive's code before LibTorch does ---===//
//
// Walks the top-level definitions of one code/ record the way LibTorch's
// SourceImporter does (an optional `op_version_set = N` line, `import`
// lines, then `class` and `def`), and checks each class body for the shapes
// the importer assumes without checking (see the header). Anything the
// importer itself rejects with an exception is left to it.
//
//===----------------------------------------------------------------------===//
#include "ir/ArchiveSource.h"

#include "ir/Error.h"
#include "ir/SourceLocation.h"

#include <torch/csrc/jit/frontend/lexer.h>
#include <torch/csrc/jit/frontend/parser.h>
#include <torch/csrc/jit/frontend/tree_views.h>

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

/// NamedTuple fields are `name : T` or `name : T = DEFAULT`.
void checkNamedTupleBody(const ClassDef &classDef) {
  for (const Stmt &statement : classDef.body()) {
    if (statement.kind() != TK_ASSIGN)
      continue;
    Assign assign(statement);
    if (!assign.type().present())
      reject(assign.range(), "NamedTuple '" + classDef.name().name() +
                                 "' has a field without a type");
  }
}

/// Enum members are `NAME = VALUE`.
void checkEnumBody(const ClassDef &classDef) {
  for (const Stmt &statement : classDef.body()) {
    if (statement.kind() != TK_ASSIGN)
      continue;
    Assign assign(statement);
    if (!assign.rhs().present())
      reject(assign.range(), "Enum '" + classDef.name().name() +
                                 "' has a member without a value");
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
    checkNamedTupleBody(classDef);
  else if (base == "Enum")
    checkEnumBody(classDef);
}

/// Skips the rest of the current line (`import ...`, `op_version_set = N`).
void skipLine(Lexer &lexer) {
  while (lexer.cur().kind != TK_NEWLINE && lexer.cur().kind != TK_EOF)
    lexer.next();
  lexer.nextIf(TK_NEWLINE);
}

} // namespace

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
