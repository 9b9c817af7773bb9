const require=process.getBuiltinModule("node:module").createRequire(import.meta.url);
import{a as b}from"./chunk-FLPTJ4TY.js";import{A as a}from"./chunk-HUSTIOIR.js";import"./chunk-JCVO3HSY.js";import"./chunk-IUTVIHDS.js";import"./chunk-CM7AQJEF.js";export{a as isYamlFile,b as parseYamlWorkflow};
