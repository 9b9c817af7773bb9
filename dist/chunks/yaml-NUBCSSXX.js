const require=process.getBuiltinModule("node:module").createRequire(import.meta.url);
import{a as b}from"./chunk-N454RTSC.js";import{A as a}from"./chunk-NKRNBILG.js";import"./chunk-JCVO3HSY.js";import"./chunk-IUTVIHDS.js";import"./chunk-CM7AQJEF.js";export{a as isYamlFile,b as parseYamlWorkflow};
