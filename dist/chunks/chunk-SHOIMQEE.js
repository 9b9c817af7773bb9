const require=process.getBuiltinModule("node:module").createRequire(import.meta.url);
import{b as o}from"./chunk-CM7AQJEF.js";var s=o((c,e)=>{e.exports=process.getBuiltinModule("node:child_process")});export{s as a};
