"""Spanish display labels for the words store/schema.py defines: vocabularies, units, titles, columns.

Canonical values never change (CSV cells, filters and the `*_raw` originals keep them); these are
what a Spanish reader sees in a chart, a filter list or a sentence. Per vocabulary, because Spanish
agrees in gender ("Otra" raza, "Otro" tipo de fuerza); `terms` holds everything else. Imports
nothing (store/ is the contract layer); `tests/test_i18n.py` checks that every vocabulary value,
unit, title and column description of the schema has a label here.
"""

from __future__ import annotations

LABELS_ES: dict[str, dict[str, str]] = {
    "race": {
        "Black": "Negra",
        "White": "Blanca",
        "Hispanic": "Hispana o latina",
        "Asian / Pacific Islander": "Asiática / de las islas del Pacífico",
        "American Indian / Alaska Native": "Indígena de EE. UU. / nativa de Alaska",
        "Other": "Otra",
        "Unknown": "Desconocida",
    },
    "sex": {"Female": "Mujer", "Male": "Hombre", "Other": "Otro", "Unknown": "Desconocido"},
    "offense_category": {
        "violent": "violento",
        "property": "contra la propiedad",
        "drug": "drogas",
        "public order": "orden público",
        "other": "otro",
        "Not recorded": "Sin dato",
    },
    "finding": {
        "sustained": "comprobada",
        "not sustained": "sin pruebas suficientes",
        "exonerated": "agente exonerado",
        "unfounded": "infundada",
        "closed without finding": "cerrada sin decisión",
        "pending": "pendiente",
        "other": "otro",
        "Not recorded": "Sin dato",
    },
    "force_type": {
        "Physical force": "Fuerza física",
        "Electrical weapon": "Arma eléctrica (táser)",
        "Chemical spray": "Aerosol químico",
        "Impact weapon": "Arma de impacto",
        "Firearm": "Arma de fuego",
        "Canine": "Perro policía",
        "Other": "Otro",
        "Not recorded": "Sin dato",
    },
    "allegation_category": {
        "Force": "Fuerza",
        "Abuse of authority": "Abuso de autoridad",
        "Discourtesy": "Falta de respeto",
        "Offensive language": "Lenguaje ofensivo",
        "Other": "Otra",
        "Not recorded": "Sin dato",
    },
    "age": {"Under 18": "Menos de 18", "65+": "65 o más", "Unknown": "Desconocida"},
    # Column names of summary tables (on screen and in their CSV); record columns keep their
    # dictionary names in every language.
    "headers": {
        "month": "mes",
        "count": "cantidad",
        "share": "proporción",
        "reason": "motivo",
        "label": "se_muestra",
        "display": "se_muestra",
        "category": "categoría",
        "finding": "resultado",
        "group": "grupo",
        "population_share": "proporción_de_residentes",
        "is_partial_month": "mes_parcial",
        "is_suppressed": "oculto",
        "neighborhood_id": "id_barrio",
        "neighborhood_name": "barrio",
        "name": "nombre",
        "value": "valor",
        "is_rate_unstable": "tasa_inestable",
        "population": "población",
        "rate_per_1000": "tasa_por_1000",
        # the data dictionary, the values no recode knew, the brief's figures
        "column": "columna",
        "type": "tipo",
        "description": "descripción",
        "is_public": "es_pública",
        "unit": "unidad",
        "allowed_values": "valores_permitidos",
        "published value": "valor publicado",
        "records": "registros",
        "kind": "tipo_de_registro",
        "area": "zona",
        "period": "período",
        "measure": "medida",
    },
    "terms": {
        # kinds and pages
        "Crime incidents": "Incidentes delictivos",
        "Civilian complaints": "Quejas civiles",
        "Use of force": "Uso de la fuerza",
        "Crime": "Delitos",
        "Community sentiment": "Opinión de los residentes",
        "Community voice": "Voz de la comunidad",
        "score": "puntaje",
        "scores": "puntajes",
        "place_period": "lugar y periodo",
        "rows of one place and period": "filas de un lugar y un periodo",
        # units (UNIT_PLURALS, unit_singular, group_words)
        "incident": "incidente",
        "incidents": "incidentes",
        "offense": "delito",
        "offenses": "delitos",
        "subject": "persona",
        "subjects": "personas",
        "officer": "agente",
        "officer involvements": "participaciones de agentes",
        "allegation": "acusación",
        "allegations": "acusaciones",
        "complaint": "queja",
        "complaints": "quejas",
        "complainant": "denunciante",
        # category words
        "offense category": "tipo de delito",
        "allegation category": "tipo de acusación",
        "force type": "tipo de fuerza",
        # labels for missing values (query/filters.py)
        "Not recorded": "Sin dato",
        "Unknown": "Desconocido",
        "Unassigned": "Sin barrio asignado",
        "Under 18": "Menos de 18",
        "65+": "65 o más",
        # unit notes
        "One row per reported incident (the most serious offense where the source lists several).": (
            "Una fila por incidente denunciado (el delito más grave cuando la fuente indica varios)."
        ),
        "One row per allegation. A complaint can hold several allegations against several officers; "
        "count distinct complaint_id for complaints.": (
            "Una fila por acusación. Una queja puede tener varias acusaciones contra varios agentes; "
            "cuente los complaint_id distintos para saber cuántas quejas hay."
        ),
        "One row per person force was used on; an incident can involve several subjects. "
        "Count distinct incident_id for incidents.": (
            "Una fila por cada persona contra la que se usó la fuerza; un incidente puede incluir a "
            "varias personas. Cuente los incident_id distintos para saber cuántos incidentes hay."
        ),
        # column descriptions (the data dictionary)
        "Area as published (a group of districts), if any.": "Área tal como se publica (un grupo de distritos), si la hay.",
        "Highest score the published scale allows.": "Puntaje más alto que permite la escala publicada.",
        "Last day of the period the score covers (occurred_at is its first).": (
            "Último día del periodo que cubre el puntaje (occurred_at es el primero)."
        ),
        "Lowest score the published scale allows.": "Puntaje más bajo que permite la escala publicada.",
        "One row per period, place, survey measure and group of residents: an average score a survey "
        "vendor published, on its published scale. Scores are averages, not counts: they are shown as "
        "published and never summed, rated or averaged again here.": (
            "Una fila por periodo, lugar, pregunta de la encuesta y grupo de residentes: un puntaje "
            "promedio que publicó una empresa de encuestas, en su escala publicada. Los puntajes son "
            "promedios, no conteos: se muestran tal como se publican y aquí nunca se suman, se convierten "
            "en tasas ni se vuelven a promediar."
        ),
        "Sector as published (part of a district), if any.": "Sector tal como se publica (parte de un distrito), si lo hay.",
        "The group as published (e.g. the column name's ending).": (
            "El grupo tal como se publica (por ejemplo, el final del nombre de la columna)."
        ),
        "The group within that type (all residents, Black, female, ...).": (
            "El grupo dentro de ese tipo (todos los residentes, afroamericanos, mujeres, ...)."
        ),
        "The place the score describes: city, area, district, neighborhood or sector.": (
            "El lugar que describe el puntaje: ciudad, área, distrito, barrio o sector."
        ),
        "The published average score, on the scale below.": "El puntaje promedio publicado, en la escala de abajo.",
        "The publisher's note on how scores are made (survey, weighting).": (
            "La nota de quien publica los datos sobre cómo se calculan los puntajes (encuesta, ponderación)."
        ),
        "What residents were asked about: trust, safety, listen, respect, ...": (
            "Sobre qué se preguntó a los residentes: confianza, seguridad, si escuchan, respeto, ..."
        ),
        "Which residents the score describes: all, race, age, sex, education or income.": (
            "Qué residentes describe el puntaje: todos, por raza, edad, sexo, educación o ingresos."
        ),
        "Identifier of the record, unique within its source.": "Identificador del registro, único en su fuente.",
        "Catalogue id of the feed the record came from.": "Identificador en el catálogo de la fuente del registro.",
        "When the event happened, in the city's time zone.": "Cuándo ocurrió el hecho, en la hora local de la ciudad.",
        "Local calendar date of occurred_at.": "Fecha local de occurred_at.",
        "First day of the local month of occurred_at.": "Primer día del mes local de occurred_at.",
        "When the event was reported, if published.": "Cuándo se denunció el hecho, si se publica.",
        "Neighborhood the record was assigned to at ingest.": "Barrio al que se asignó el registro al cargarlo.",
        "Name of that neighborhood.": "Nombre de ese barrio.",
        "Police district, precinct or beat as published.": "Distrito, precinto o sector policial tal como se publica.",
        "Latitude (WGS84) as published; may be generalised.": "Latitud (WGS84) tal como se publica; puede ser aproximada.",
        "Longitude (WGS84) as published; may be generalised.": "Longitud (WGS84) tal como se publica; puede ser aproximada.",
        "How the neighborhood was assigned: point, source_field or unassigned.": (
            "Cómo se asignó el barrio: point (por ubicación), source_field (por un campo de la fuente) "
            "o unassigned (sin asignar)."
        ),
        "Offense as published by the source.": "Delito tal como lo publica la fuente.",
        "Offense grouped into violent, property, drug, public order or other.": (
            "Delito agrupado en violento, contra la propiedad, drogas, orden público u otro."
        ),
        "Complaint identifier (shared by its allegations).": "Identificador de la queja (compartido por sus acusaciones).",
        "Allegation identifier.": "Identificador de la acusación.",
        "Allegation as published.": "Acusación tal como se publica.",
        "Allegation grouped (force, abuse of authority, discourtesy, ...).": (
            "Acusación agrupada (fuerza, abuso de autoridad, falta de respeto, ...)."
        ),
        "Allegation category as published.": "Tipo de acusación tal como se publica.",
        "Outcome, recoded.": "Resultado, recodificado.",
        "Outcome as published.": "Resultado tal como se publica.",
        "When the complaint was received.": "Cuándo se recibió la queja.",
        "When the complaint was closed, if it is.": "Cuándo se cerró la queja, si está cerrada.",
        "The complainant's identifier, where published; used only to count people, never shown.": (
            "Identificador del denunciante, si se publica; solo se usa para contar personas y nunca se muestra."
        ),
        "The subject's identifier, where published; used only to count people, never shown.": (
            "Identificador de la persona, si se publica; solo se usa para contar personas y nunca se muestra."
        ),
        "Complainant race/ethnicity, recoded.": "Raza/origen étnico del denunciante, recodificado.",
        "Complainant race/ethnicity as published.": "Raza/origen étnico del denunciante tal como se publica.",
        "Complainant sex/gender, recoded.": "Sexo/género del denunciante, recodificado.",
        "Complainant sex/gender as published.": "Sexo/género del denunciante tal como se publica.",
        "Complainant age in years, if published.": "Edad del denunciante en años, si se publica.",
        "Officer race/ethnicity, recoded.": "Raza/origen étnico del agente, recodificado.",
        "Officer race/ethnicity as published.": "Raza/origen étnico del agente tal como se publica.",
        "Officer sex/gender, recoded.": "Sexo/género del agente, recodificado.",
        "Officer sex/gender as published.": "Sexo/género del agente tal como se publica.",
        "Officer age in years, if published.": "Edad del agente en años, si se publica.",
        "Use-of-force incident identifier.": "Identificador del incidente de uso de la fuerza.",
        "Most serious force used, recoded.": "La fuerza más grave que se usó, recodificada.",
        "Force type as published.": "Tipo de fuerza tal como se publica.",
        "Subject race/ethnicity, recoded.": "Raza/origen étnico de la persona, recodificado.",
        "Subject race/ethnicity as published.": "Raza/origen étnico de la persona tal como se publica.",
        "Subject sex/gender, recoded.": "Sexo/género de la persona, recodificado.",
        "Subject sex/gender as published.": "Sexo/género de la persona tal como se publica.",
        "Subject age in years, if published.": "Edad de la persona en años, si se publica.",
        "Whether the subject was injured.": "Si la persona resultó herida.",
        "Whether an officer was injured.": "Si algún agente resultó herido.",
        "Neighborhood identifier.": "Identificador del barrio.",
        "Neighborhood name.": "Nombre del barrio.",
        "Police district the neighborhood lies in, if known.": "Distrito policial donde está el barrio, si se sabe.",
        "Resident population.": "Población residente.",
        "Residents counted as Black (non-Hispanic).": "Residentes contados como negros (no hispanos).",
        "Residents counted as White (non-Hispanic).": "Residentes contados como blancos (no hispanos).",
        "Residents counted as Hispanic or Latino.": "Residentes contados como hispanos o latinos.",
        "Residents counted as Asian / Pacific Islander.": "Residentes contados como asiáticos / de las islas del Pacífico.",
        "All other residents.": "Todos los demás residentes.",
    },
}
