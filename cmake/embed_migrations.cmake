# Compiles text files into the binary, so a service image needs nothing beside its binary.

# kam_embed_migrations(<target> <namespace>): every services/<svc>/migrations/NNNN_name.sql
# becomes an entry of `const std::vector<kam::Migration>& <namespace>::Migrations()`,
# declared in the generated header "embedded_migrations.h".
function(kam_embed_migrations target namespace)
  file(GLOB sql_files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/migrations/*.sql)
  list(SORT sql_files)
  set(entries "")
  foreach(path ${sql_files})
    get_filename_component(file_name ${path} NAME_WE)
    if(NOT file_name MATCHES "^([0-9]+)_([a-z0-9_]+)$")
      message(FATAL_ERROR "migration ${path}: name must be NNNN_lower_snake.sql")
    endif()
    math(EXPR version "${CMAKE_MATCH_1}")
    file(READ ${path} sql)
    string(APPEND entries "    {${version}, \"${CMAKE_MATCH_2}\", R\"kam_sql(${sql})kam_sql\"},\n")
  endforeach()
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/generated)
  file(WRITE ${out_dir}/embedded_migrations.h.tmp
    "#pragma once\n#include <vector>\n#include \"services/common/migrations.h\"\n"
    "namespace ${namespace} {\nconst std::vector<kam::Migration>& Migrations();\n}\n")
  file(WRITE ${out_dir}/embedded_migrations.cc.tmp
    "#include \"embedded_migrations.h\"\nnamespace ${namespace} {\n"
    "const std::vector<kam::Migration>& Migrations() {\n"
    "  static const auto* migrations = new std::vector<kam::Migration>{\n${entries}  };\n"
    "  return *migrations;\n}\n}  // namespace ${namespace}\n")
  configure_file(${out_dir}/embedded_migrations.h.tmp ${out_dir}/embedded_migrations.h COPYONLY)
  configure_file(${out_dir}/embedded_migrations.cc.tmp ${out_dir}/embedded_migrations.cc COPYONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sql_files})
  target_sources(${target} PRIVATE ${out_dir}/embedded_migrations.cc)
  target_include_directories(${target} PUBLIC ${out_dir})
endfunction()

# kam_embed_text(<target> <file> <function>): `std::string_view <function>()` returning the
# file's text, declared by the caller.
function(kam_embed_text target file function)
  get_filename_component(base ${file} NAME_WE)
  set(path ${CMAKE_CURRENT_SOURCE_DIR}/${file})
  file(READ ${path} text)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/generated/${base}_embedded.cc)
  string(REGEX MATCH "^(.*)::([A-Za-z0-9_]+)$" _ ${function})
  file(WRITE ${out}.tmp
    "#include <string_view>\nnamespace ${CMAKE_MATCH_1} {\n"
    "std::string_view ${CMAKE_MATCH_2}() {\n  return R\"kam_text(${text})kam_text\";\n}\n}\n")
  configure_file(${out}.tmp ${out} COPYONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${path})
  target_sources(${target} PRIVATE ${out})
endfunction()
